"""Helpers shared by the fixture generators: versions record, JSON writing, deterministic inputs, array records."""
import json
import os

import flax
import numpy as np
import jax
import jax.numpy as jnp
import optax
from flax import nnx

jax.config.update("jax_platforms", "cpu")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VERSIONS = {"jax": jax.__version__, "flax": flax.__version__, "optax": optax.__version__}


def write_fixture(package: str, name: str, data: dict) -> None:
    """Write packages/<package>/test/fixtures/<name>.json with the reference versions recorded."""
    out_dir = os.path.join(ROOT, "packages", package, "test", "fixtures")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{name}.json")
    with open(path, "w") as f:
        json.dump({"versions": VERSIONS, **data}, f, indent=1)
        f.write("\n")
    print("wrote", os.path.relpath(path, ROOT))


def det(shape, scale, offset=0.0):
    """Deterministic float32 array: scaled sine of the flat index."""
    n = int(np.prod(shape))
    return (np.sin(np.arange(n, dtype=np.float64) * 0.7 + offset) * scale).astype(np.float32).reshape(shape)


def leaf(value):
    """A JSON record of one array: uint32 words for typed keys, numbers otherwise."""
    if jnp.issubdtype(value.dtype, jax.dtypes.prng_key):
        data = np.asarray(jax.random.key_data(value))
        return {"shape": list(value.shape), "dtype": "key<fry>", "values": data.astype(np.uint32).reshape(-1).tolist()}
    arr = np.asarray(value)
    return {"shape": list(arr.shape), "dtype": str(arr.dtype), "values": arr.reshape(-1).tolist()}


def state_record(state):
    """A State as JSON records: path, Variable type name, and the value's record."""
    return [{"path": list(path), "type": type(var).__name__, **leaf(var[...])} for path, var in nnx.to_flat_state(state)]
