"""Fixtures for @nnx-ts/rng: JAX threefry keys, bits and samplers in both modes, and NNX Rngs sequences."""
import numpy as np
import jax
import jax.numpy as jnp
from flax import nnx

from common import write_fixture

SEEDS = [0, 1, 42, 1701, 123456789, 2**31 - 1, -1, -7]
SHAPES = [[], [1], [3], [7], [2, 3], [4, 5]]


def u32(x):
    return [int(v) for v in np.asarray(x).astype(np.uint32).reshape(-1)]


def f32bits(x):
    return [int(v) for v in np.asarray(x, dtype=np.float32).view(np.uint32).reshape(-1)]


def samplers(mode_partitionable: bool):
    jax.config.update("jax_threefry_partitionable", mode_partitionable)
    cases = []
    for seed in SEEDS:
        k = jax.random.key(seed)
        case = {
            "seed": seed,
            "key": u32(jax.random.key_data(k)),
            "split2": u32(jax.random.key_data(jax.random.split(k))),
            "split5": u32(jax.random.key_data(jax.random.split(k, 5))),
            "split23": u32(jax.random.key_data(jax.random.split(k, (2, 3)))),
            "foldIn": {str(d): u32(jax.random.key_data(jax.random.fold_in(k, d))) for d in [0, 1, 7, 2**31, 2**32 - 1]},
            "shapes": [],
        }
        for shape in SHAPES:
            s = tuple(shape)
            case["shapes"].append({
                "shape": shape,
                "bits32": u32(jax.random.bits(k, s, jnp.uint32)),
                "bits16": u32(jax.random.bits(k, s, jnp.uint16)),
                "bits8": u32(jax.random.bits(k, s, jnp.uint8)),
                "uniform": f32bits(jax.random.uniform(k, s)),
                "uniformRange": f32bits(jax.random.uniform(k, s, minval=-3.5, maxval=2.25)),
                "normal": f32bits(jax.random.normal(k, s)),
                "truncatedNormal": f32bits(jax.random.truncated_normal(k, -2.0, 2.0, s)),
                "truncatedNormalAsym": f32bits(jax.random.truncated_normal(k, -0.5, 3.0, s)),
                "bernoulli03": [bool(b) for b in np.asarray(jax.random.bernoulli(k, 0.3, s)).reshape(-1)],
            })
        cases.append(case)
    return cases


P5 = np.array([0.1, 0.25, 0.05, 0.4, 0.2], dtype=np.float32)


def more_samplers(mode_partitionable: bool):
    jax.config.update("jax_threefry_partitionable", mode_partitionable)
    cases = []
    logits = np.array([[0.0, 1.0, 2.0, -1.0], [3.0, -2.0, 0.5, 0.5], [0.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    for seed in SEEDS:
        k = jax.random.key(seed)
        cases.append({
            "seed": seed,
            "randint_0_8_33": [int(v) for v in np.asarray(jax.random.randint(k, (3, 3), 0, 8)).reshape(-1)],
            "randint_neg_7": [int(v) for v in np.asarray(jax.random.randint(k, (7,), -100, 12345)).reshape(-1)],
            "randint_full": [int(v) for v in np.asarray(jax.random.randint(k, (5,), -2**31, 2**31 - 1)).reshape(-1)],
            "permutation_10": [int(v) for v in np.asarray(jax.random.permutation(k, 10))],
            "permutation_1000": [int(v) for v in np.asarray(jax.random.permutation(k, 1000))],
            "choice_replace": [int(v) for v in np.asarray(jax.random.choice(k, 10, (6,)))],
            "choice_noreplace": [int(v) for v in np.asarray(jax.random.choice(k, 10, (6,), replace=False))],
            "choice_p_replace": [int(v) for v in np.asarray(jax.random.choice(k, 5, (9,), p=P5))],
            "choice_p_noreplace": [int(v) for v in np.asarray(jax.random.choice(k, 5, (3,), replace=False, p=P5))],
            "gumbel": f32bits(jax.random.gumbel(k, (7,))),
            "exponential": f32bits(jax.random.exponential(k, (7,))),
            "laplace": f32bits(jax.random.laplace(k, (7,))),
            "categorical": [int(v) for v in np.asarray(jax.random.categorical(k, logits))],
            "categorical_logits": logits.tolist(),
        })
    return cases


def rngs_sequences():
    jax.config.update("jax_threefry_partitionable", True)
    data_of = lambda k: u32(jax.random.key_data(k))
    r = nnx.Rngs(0)
    default_seq = [data_of(r()) for _ in range(4)]
    r = nnx.Rngs(0)
    params_seq = [data_of(r.params()) for _ in range(3)]
    r = nnx.Rngs(100, params=42)
    mixed = [data_of(r.params()), data_of(r.dropout()), data_of(r()), data_of(r.params())]
    r = nnx.Rngs(params=0, dropout=1)
    f = r.fork()
    fork = {
        "child_params_key": data_of(f.params.key[...]),
        "child_dropout_key": data_of(f.dropout.key[...]),
        "child_params_first": data_of(f.params()),
        "parent_params_count": int(r.params.count[...]),
        "parent_params_next": data_of(r.params()),
    }
    r = nnx.Rngs(params=0, dropout=1)
    fs = r.fork(split=4)
    fork_split = {"params_key": data_of(fs.params.key[...]), "params_shape": list(fs.params.key.shape),
                  "params_count": u32(fs.params.count[...])}
    s = nnx.Rngs(5).default.fork()
    stream_fork = {"key": data_of(s.key[...]), "first": data_of(s())}
    r = nnx.Rngs(params=0, dropout=1)
    backups = nnx.split_rngs(r, splits=5, only="params")
    split_state = {"params_key": data_of(r.params.key[...]), "params_count": u32(r.params.count[...]),
                   "dropout_key_shape": list(r.dropout.key.shape)}
    nnx.restore_rngs(backups)
    split_state["restored_params_key"] = data_of(r.params.key[...])
    split_state["restored_params_count"] = int(r.params.count[...])
    r = nnx.Rngs(params=0, dropout=7)
    a, b = r.dropout.fork(), r.dropout.fork()
    holder = nnx.Dict(a=a, b=b) if hasattr(nnx, "Dict") else {"a": a, "b": b}
    a.key[...] = jax.random.key(999)
    nnx.reseed(holder, dropout=7)
    reseeded = {"a_key": data_of(a.key[...]), "b_key": data_of(b.key[...]), "a_count": int(a.count[...])}
    return {"split_rngs_5_params": split_state, "reseed_dropout7": reseeded, "default": default_seq, "params": params_seq, "mixed_100_params42": mixed, "fork": fork,
            "fork_split4": fork_split, "stream_fork_seed5": stream_fork}


write_fixture("rng", "samplers", {"partitionable": samplers(True), "legacy": samplers(False)})
write_fixture("rng", "rngs", rngs_sequences())
def xla_log():
    """XLA:CPU's float32 log (used by gumbel and log1p): inputs across many magnitudes and their jitted log, as bits."""
    rs = np.random.RandomState(7)
    x = np.concatenate([rs.uniform(1e-6, 1, 1500), rs.uniform(1, 1000, 500), np.exp(rs.uniform(-80, 80, 1000)),
                        1 + rs.uniform(-1e-3, 1e-3, 500), [0.5, 1.0, 2.0, 0.70710677, 0.70710683]]).astype(np.float32)
    return {"x": f32bits(x), "log": f32bits(jax.jit(jnp.log)(x)), "log1p": f32bits(jax.jit(jnp.log1p)(x - np.float32(0.5)))}


write_fixture("rng", "xla_log", xla_log())
write_fixture("rng", "more_samplers", {"partitionable": more_samplers(True), "legacy": more_samplers(False)})
