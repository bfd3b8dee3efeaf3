"""Fixture for the meta package nnx-ts: ``nnx.value_and_grad`` / ``nnx.grad`` through BatchNorm and Dropout (NNX 0.11).

Model: ``Linear(4, 8) -> BatchNorm(8) -> relu -> Dropout(0.3) -> Linear(8, 3)`` built with
``nnx.Rngs(params=0, dropout=1)`` (keys drawn in construction order: linear1 kernel/bias, bn scale/bias, linear2
kernel/bias from ``params``; Dropout holds ``rngs.dropout.fork()``). Loss: mean squared error against a fixed y.
x [6, 4] and y [6, 3] are deterministic sines and are stored in the fixture.

Recorded (every model state as path, Variable type, shape, dtype, values; RNG keys as threefry uint32 words; every
dropout mask as ``nnx.clone(model.dropout)(ones)`` taken just before the call that consumes that key, i.e. the mask
scaled by 1 / keep):

* ``constructed``: the fresh model's state.
* ``valueAndGrad`` (train mode, fresh model): ``nnx.value_and_grad(loss_fn)(model, x, y)``: loss, the gradient
  State (one Param per Param), the dropout mask, and the model state after the call (BatchNorm running mean/var
  updated, dropout count 1).
* ``hasAux`` (train mode, the same model, second call): ``nnx.value_and_grad(loss_fn, has_aux=True)`` with the
  logits as aux: loss, aux, grads, mask (count 1 -> a different mask), state after.
* ``evalBatchStatGrad`` (fresh model, ``model.eval()``): ``nnx.grad(loss_fn, argnums=nnx.DiffState(0,
  nnx.BatchStat))``: gradients with respect to BatchNorm mean/var (BatchStat gradients), state after (unchanged).
* ``evalBatchStatGradAfterTrain``: the same on the model left by ``valueAndGrad`` + ``hasAux`` (non-trivial running
  statistics), after ``model.eval()``.
* ``jitTrain`` (fresh model): 3 steps of ``nnx.jit(train_step)(model, optimizer, x, y)`` with
  ``nnx.Optimizer(model, optax.sgd(0.1), wrt=nnx.Param)`` and ``optimizer.update(model, grads)``: loss, mask and
  model state after each step, and the optimizer's step count at the end.

0.11.2 vs 0.12.8 (the installed reference): Linear/BatchNorm/Dropout init and __call__, RngStream.fork,
value_and_grad/grad with DiffState, jit state propagation and ``Optimizer.update(model, grads)`` compute the same
thing in both versions (0.12's ``update`` also returns the updates; unused here). Cross-check: running this script
against the v0.11.2 source (the same JAX-0.10 ``new_ref``/``Ref`` import shim as seed_scan.py, plus a wrapper that
drops the ``abstracted_axes=None`` keyword 0.11.2's ``nnx.jit`` passes to ``jax.jit``, which JAX 0.10 removed) writes a
fixture identical to the 0.12.8 one except for the ``versions`` field.
"""
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from common import det, leaf, state_record, write_fixture

jax.config.update("jax_threefry_partitionable", True)

N_STEPS = 3
LR = 0.1


X = det((6, 4), 1.5, 0.3)
Y = det((6, 3), 0.8, 1.1)


class Model(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.linear1 = nnx.Linear(4, 8, rngs=rngs)
        self.bn = nnx.BatchNorm(8, rngs=rngs)
        self.dropout = nnx.Dropout(0.3, rngs=rngs)
        self.linear2 = nnx.Linear(8, 3, rngs=rngs)

    def __call__(self, x):
        return self.linear2(self.dropout(nnx.relu(self.bn(self.linear1(x)))))


def make():
    return Model(nnx.Rngs(params=0, dropout=1))


def loss_fn(model, x, y):
    return jnp.mean((model(x) - y) ** 2)


def loss_aux_fn(model, x, y):
    logits = model(x)
    return jnp.mean((logits - y) ** 2), logits


def mask_of(model):
    """The (scaled) dropout mask the next train-mode call will use, without consuming the model's key."""
    return leaf(nnx.clone(model.dropout)(jnp.ones((6, 8), jnp.float32)))


x, y = jnp.asarray(X), jnp.asarray(Y)

# (a) value_and_grad in train mode, then (c) has_aux on the same model.
model = make()
constructed = state_record(nnx.state(model))
mask = mask_of(model)
loss, grads = nnx.value_and_grad(loss_fn)(model, x, y)
value_and_grad = {"loss": leaf(loss), "grads": state_record(grads), "mask": mask, "state": state_record(nnx.state(model))}

mask = mask_of(model)
(loss, aux), grads = nnx.value_and_grad(loss_aux_fn, has_aux=True)(model, x, y)
has_aux = {"loss": leaf(loss), "aux": leaf(aux), "grads": state_record(grads), "mask": mask,
           "state": state_record(nnx.state(model))}


# (b) grad with respect to the BatchStats in eval mode.
def batch_stat_grad(m):
    m.eval()
    g = nnx.grad(loss_fn, argnums=nnx.DiffState(0, nnx.BatchStat))(m, x, y)
    return {"grads": state_record(g), "state": state_record(nnx.state(m))}


eval_fresh = batch_stat_grad(make())
eval_after_train = batch_stat_grad(model)

# (d) jitted optimizer loop (spec seed program 3 with sgd(0.1)).
model = make()
optimizer = nnx.Optimizer(model, optax.sgd(LR), wrt=nnx.Param)


@nnx.jit
def train_step(model, optimizer, x, y):
    loss, grads = nnx.value_and_grad(loss_fn)(model, x, y)
    optimizer.update(model, grads)
    return loss


steps = []
for _ in range(N_STEPS):
    mask = mask_of(model)
    loss = train_step(model, optimizer, x, y)
    steps.append({"loss": leaf(loss), "mask": mask, "state": state_record(nnx.state(model))})
jit_train = {"steps": steps, "optimizerStep": int(optimizer.step[...])}

write_fixture("nnx-ts", "gradBnDropout", {
    "notes": (
        "value_and_grad / grad through Linear(4,8) -> BatchNorm(8) -> relu -> Dropout(0.3) -> Linear(8,3) with "
        "Rngs(params=0, dropout=1); generated by tooling/reference/grad_bn_dropout.py. Masks are "
        "clone(model.dropout)(ones((6, 8))) taken before each call (kept values scaled by 1 / 0.7). "
        "The v0.11.2 source (with JAX-0.10 import/jit shims) gives an identical fixture."
    ),
    "threefryPartitionable": bool(jax.config.jax_threefry_partitionable),
    "x": leaf(x),
    "y": leaf(y),
    "lr": LR,
    "constructed": constructed,
    "valueAndGrad": value_and_grad,
    "hasAux": has_aux,
    "evalBatchStatGrad": eval_fresh,
    "evalBatchStatGradAfterTrain": eval_after_train,
    "jitTrain": jit_train,
})
