"""Fixtures for @nnx-ts/layers: Flax NNX Linear initialisation (key order) and forward pass."""
import numpy as np
import jax.numpy as jnp
from flax import nnx

from common import write_fixture


def f32bits(x):
    return [int(v) for v in np.asarray(x, dtype=np.float32).view(np.uint32).reshape(-1)]


def linear_cases():
    cases = []
    for seed, fin, fout in [(0, 3, 4), (1, 5, 2), (42, 8, 16)]:
        m = nnx.Linear(fin, fout, rngs=nnx.Rngs(seed))
        x = jnp.arange(2 * fin, dtype=jnp.float32).reshape(2, fin) / 7.0 - 0.5
        cases.append({
            "seed": seed, "in": fin, "out": fout,
            "kernel": f32bits(m.kernel[...]), "bias": f32bits(m.bias[...]),
            "x": np.asarray(x).reshape(-1).tolist(), "y": f32bits(m(x)),
        })
    return cases


write_fixture("layers", "linear", {"linear": linear_cases()})


def norm_cases():
    x = (np.sin(np.arange(24, dtype=np.float32)) * 3 + 1).reshape(6, 4).astype(np.float32)
    bn = nnx.BatchNorm(4, rngs=nnx.Rngs(0))
    y_train = bn(jnp.asarray(x))
    bn_eval = nnx.BatchNorm(4, use_running_average=True, rngs=nnx.Rngs(0))
    nnx.update(bn_eval, nnx.state(bn, nnx.BatchStat))
    y_eval = bn_eval(jnp.asarray(x))
    ln = nnx.LayerNorm(4, rngs=nnx.Rngs(0))
    rms = nnx.RMSNorm(4, rngs=nnx.Rngs(0))
    flat = lambda a: np.asarray(a, np.float32).reshape(-1).tolist()
    return {
        "x": flat(x), "shape": [6, 4],
        "batchNorm": {"train": flat(y_train), "mean": flat(bn.mean[...]), "var": flat(bn.var[...]), "eval": flat(y_eval)},
        "layerNorm": flat(ln(jnp.asarray(x))), "rmsNorm": flat(rms(jnp.asarray(x))),
        "gelu": flat(nnx.gelu(jnp.asarray(x))), "geluExact": flat(nnx.gelu(jnp.asarray(x), approximate=False)),
    }


def dropout_cases():
    m = nnx.Dropout(0.5, rngs=nnx.Rngs(0))
    x = jnp.ones((3, 5), jnp.float32)
    y1 = m(x)
    y2 = m(x)
    return {"rate": 0.5, "seed": 0, "shape": [3, 5], "y1": np.asarray(y1).reshape(-1).tolist(), "y2": np.asarray(y2).reshape(-1).tolist()}


write_fixture("layers", "normalization", norm_cases())
write_fixture("layers", "dropout", dropout_cases())


def initializer_cases():
    import jax
    init = jax.nn.initializers
    specs = [
        ("lecunNormal", init.lecun_normal(), [3, 4], 0),
        ("lecunUniform", init.lecun_uniform(), [5, 3], 1),
        ("heNormal", init.he_normal(), [5, 6], 2),
        ("heUniform", init.he_uniform(), [4, 4], 3),
        ("glorotNormal", init.glorot_normal(), [6, 2], 4),
        ("glorotUniform", init.glorot_uniform(), [4, 7], 5),
        ("varianceScalingConv", init.variance_scaling(2.0, "fan_avg", "normal"), [3, 3, 2, 4], 6),
        ("normal", init.normal(0.02), [3, 3], 7),
        ("uniform", init.uniform(0.5), [2, 5], 8),
        ("truncatedNormal", init.truncated_normal(0.02), [4, 3], 9),
    ]
    return {"cases": [{"name": n, "shape": s, "seed": seed, "bits": f32bits(f(jax.random.key(seed), s, jnp.float32))}
                      for n, f, s, seed in specs]}


write_fixture("layers", "initializers", initializer_cases())


def activation_cases():
    x = jnp.asarray(np.linspace(-6, 6, 12, dtype=np.float32).reshape(3, 4))
    flat = lambda a: np.asarray(a, np.float32).reshape(-1).tolist()
    return {"x": flat(x), "shape": [3, 4], "relu": flat(nnx.relu(x)), "sigmoid": flat(nnx.sigmoid(x)),
            "silu": flat(nnx.silu(x)), "tanh": flat(nnx.tanh(x)), "softmax": flat(nnx.softmax(x)),
            "logSoftmax": flat(nnx.log_softmax(x)), "gelu": flat(nnx.gelu(x)),
            "geluExact": flat(nnx.gelu(x, approximate=False))}


write_fixture("layers", "activations", activation_cases())
