"""Fixtures for @nnx-ts/transforms: nnx.value_and_grad / nnx.grad / nnx.jit on small modules with known parameters.

Parameters are deterministic (no RNG), so the TypeScript tests rebuild the same modules and compare numbers.
"""
import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from common import det, write_fixture


class Dense(nnx.Module):
    def __init__(self, din, dout, seed):
        self.kernel = nnx.Param(jnp.asarray(det((din, dout), 0.5, seed)))
        self.bias = nnx.Param(jnp.asarray(det((dout,), 0.1, seed + 1.0)))

    def __call__(self, x):
        return x @ self.kernel[...] + self.bias[...]


class MLP(nnx.Module):
    """3 -> 8 -> 8 -> 2 MLP with a tanh/relu mix, a running-mean BatchStat and a call counter."""

    def __init__(self):
        self.l1 = Dense(3, 8, 0.0)
        self.l2 = Dense(8, 8, 2.0)
        self.l3 = Dense(8, 2, 4.0)
        self.mean = nnx.BatchStat(jnp.zeros((8,), jnp.float32))
        self.count = nnx.BatchStat(jnp.zeros((), jnp.int32))

    def __call__(self, x):
        h = jnp.tanh(self.l1(x))
        self.mean[...] = 0.9 * self.mean[...] + 0.1 * h.mean(0)
        self.count[...] = self.count[...] + 1
        h = jax.nn.relu(self.l2(h))
        return self.l3(h)


def tolist(a):
    return np.asarray(a).tolist()


def mlp_fixture():
    model = MLP()
    params = {"/".join(map(str, p)): tolist(v[...]) for p, v in nnx.to_flat_state(nnx.state(model, nnx.Param))}
    x = det((4, 3), 1.0, 0.3)
    y = det((4, 2), 1.0, 1.1)

    def loss_fn(m, x, y):
        pred = m(x)
        loss = jnp.mean((pred - y) ** 2)
        return loss, pred

    (loss, pred), grads = nnx.value_and_grad(loss_fn, has_aux=True)(model, jnp.asarray(x), jnp.asarray(y))
    flat_grads = {"/".join(map(str, p)): tolist(v[...]) for p, v in nnx.to_flat_state(grads)}
    grad_types = {"/".join(map(str, p)): type(v).__name__ for p, v in nnx.to_flat_state(grads)}

    # argnums=(0, 1): gradients with respect to the model's Params and the input array.
    (g_model, g_x) = nnx.grad(lambda m, x: jnp.sum(m(x) ** 2), argnums=(0, 1))(MLP(), jnp.asarray(x))
    return {
        "params": params,
        "x": tolist(x),
        "y": tolist(y),
        "loss": float(loss),
        "pred": tolist(pred),
        "grads": flat_grads,
        "gradTypes": grad_types,
        "stateAfter": {"mean": tolist(model.mean[...]), "count": int(model.count[...])},
        "sumSquares": {
            "modelGrads": {"/".join(map(str, p)): tolist(v[...]) for p, v in nnx.to_flat_state(g_model)},
            "xGrad": tolist(g_x),
        },
    }


class Tied(nnx.Module):
    """Flax test_grad: the same Param reached at two paths gets its gradient once, summed."""

    def __init__(self):
        p = nnx.Param(jnp.asarray(1.0))
        self.a = nnx.List([p, p, nnx.Param(jnp.asarray(2.0))])
        self.b = nnx.BatchStat(jnp.asarray(3.0))


def tied_fixture():
    m = Tied()
    grads = nnx.grad(lambda m: m.a[0][...] + m.a[1][...] * m.a[2][...] + m.b[...])(m)
    by_stat = nnx.grad(lambda m: m.a[0][...] * m.b[...] * m.b[...], argnums=nnx.DiffState(0, nnx.BatchStat))(m)
    return {
        "paramGrads": {"/".join(map(str, p)): tolist(v[...]) for p, v in nnx.to_flat_state(grads)},
        "batchStatGrads": {"/".join(map(str, p)): tolist(v[...]) for p, v in nnx.to_flat_state(by_stat)},
    }


write_fixture("transforms", "grad_mlp", {"mlp": mlp_fixture(), "tied": tied_fixture()})
