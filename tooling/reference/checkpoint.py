"""Fixtures for @nnx-ts/checkpoint: safetensors files written by the real Python libraries, with expected values.

Tensor bytes are deterministic; the order of `__metadata__` entries is not (safetensors keeps them in a Rust
HashMap), so a regenerated file may differ from the committed one in header order only.

- flax_flat.safetensors + expected_nnx_state.json: an NNX model's pure dict, flattened with '.', saved with
  safetensors.numpy.save_file; the typed RNG key stored as its uint32 key data (the Hugging Face Flax convention).
- dtypes.safetensors + dtypes.json: one tensor per dtype the TS reader converts (F16, BF16, F64, I64, I16, U16, I8,
  U8, BOOL, U32, I32, F32, a zero-size and a scalar tensor).
"""
import json
import os

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import safetensors
import safetensors.numpy
from flax import nnx

from common import ROOT, VERSIONS, write_fixture

OUT = os.path.join(ROOT, "packages", "checkpoint", "test", "fixtures")


class Model(nnx.Module):
    def __init__(self, rngs):
        self.linear = nnx.Linear(3, 4, rngs=rngs)
        self.bn = nnx.BatchNorm(4, rngs=rngs)
        self.dropout = nnx.Dropout(0.5, rngs=rngs)
        self.layers = nnx.List([nnx.Linear(4, 2, use_bias=False, rngs=rngs)])
        self.counter = nnx.Variable(jnp.array(7, dtype=jnp.int32))


def save(arrays, name, metadata):
    path = os.path.join(OUT, name)
    safetensors.numpy.save_file(arrays, path, metadata=metadata)
    os.chmod(path, 0o644)  # safetensors >= 0.8 writes through a 0600 tempfile


def flatten(d, prefix=()):
    for k, v in d.items():
        path = prefix + (str(k),)
        if isinstance(d[k], dict):
            yield from flatten(v, path)
        else:
            yield path, v


def nnx_fixture():
    model = Model(nnx.Rngs(params=0, dropout=1))
    pure = nnx.to_pure_dict(nnx.state(model))
    flat, expected, impls = {}, {}, {}
    for path, v in flatten(pure):
        if jnp.issubdtype(v.dtype, jax.dtypes.prng_key):
            data = np.asarray(jax.random.key_data(v))
            impl = str(jax.random.key_impl(v))
            impls[".".join(path)] = impl
            expected["/".join(path)] = {
                "dtype": str(v.dtype), "key_data_dtype": str(data.dtype), "shape": list(v.shape),
                "key_data_shape": list(data.shape), "values": data.ravel().tolist(),
            }
        else:
            data = np.asarray(v)
            expected["/".join(path)] = {"dtype": str(data.dtype), "shape": list(data.shape), "values": data.ravel().tolist()}
        flat[".".join(path)] = data
    save(flat, "flax_flat.safetensors", {"format": "flax", **impls})
    with open(os.path.join(OUT, "expected_nnx_state.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print("wrote flax_flat.safetensors, expected_nnx_state.json")


def dtypes_fixture():
    base = np.array([1.5, -2.0, 0.333251953125, 65504.0])
    arrays = {
        "f16": base.astype(np.float16),
        "bf16": np.array([1.0, -3.0, 0.5, 256.0]).astype(ml_dtypes.bfloat16),
        "f64": np.array([0.1, -1e30, 2.5]),
        "i64": np.array([-5, 2**31 - 1, 0], dtype=np.int64),
        "i16": np.array([-32768, 7], dtype=np.int16),
        "u16": np.array([65535, 1], dtype=np.uint16),
        "i8": np.array([-128, 127], dtype=np.int8),
        "u8": np.array([255, 0], dtype=np.uint8),
        "bool": np.array([[True, False], [False, True]]),
        "u32": np.array([4294967295, 1], dtype=np.uint32),
        "i32": np.array(-7, dtype=np.int32),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }
    save(arrays, "dtypes.safetensors", {"made_by": "checkpoint.py"})
    expected = {
        name: {"dtype": str(a.dtype), "shape": list(a.shape), "values": a.astype(np.float64).ravel().tolist()}
        for name, a in arrays.items()
    }
    write_fixture("checkpoint", "dtypes", {"safetensors": safetensors.__version__, "tensors": expected})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    print("versions", VERSIONS)
    nnx_fixture()
    dtypes_fixture()
