"""Fixtures for @nnx-ts/module: state paths, Variable types, shapes and pure-dict layout of small Flax NNX models."""
import jax.numpy as jnp
from flax import nnx

from common import write_fixture


def describe_state(state):
    out = []
    for path, v in nnx.to_flat_state(state):
        out.append({"path": list(path), "type": type(v).__name__, "shape": list(v.shape)})
    return out


class Model(nnx.Module):
    def __init__(self, rngs):
        self.linear = nnx.Linear(2, 3, rngs=rngs)
        self.bn = nnx.BatchNorm(3, rngs=rngs)
        self.dropout = nnx.Dropout(0.5, rngs=rngs)


class Stack(nnx.Module):
    def __init__(self, rngs):
        self.layers = nnx.List([nnx.Linear(2, 2, rngs=rngs), nnx.Linear(2, 1, rngs=rngs)]) if hasattr(nnx, "List") else [
            nnx.Linear(2, 2, rngs=rngs),
            nnx.Linear(2, 1, rngs=rngs),
        ]
        self.head = nnx.Linear(1, 1, rngs=rngs)
        self.tied = self.head  # shared module: stored once at the first path ('head')


def pure_layout(d):
    if isinstance(d, dict):
        return {str(k): pure_layout(v) for k, v in d.items()}
    return list(jnp.shape(d))


def main():
    model = Model(nnx.Rngs(0))
    params, rest = nnx.state(model, nnx.Param, ...)
    stack = Stack(nnx.Rngs(0))
    write_fixture(
        "module",
        "state_paths",
        {
            "model_state": describe_state(nnx.state(model)),
            "model_params": describe_state(params),
            "model_rest": describe_state(rest),
            "model_tag_default": describe_state(nnx.state(model, "default")),
            "stack_state": describe_state(nnx.state(stack)),
            "stack_pure_dict_shapes": pure_layout(nnx.to_pure_dict(nnx.state(stack))),
            "stack_pure_dict_key_types": sorted(
                {type(k).__name__ for k in nnx.to_pure_dict(nnx.state(stack))["layers"].keys()}
            ),
        },
    )


if __name__ == "__main__":
    main()
