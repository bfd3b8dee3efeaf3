"""Fixtures for @nnx-ts/optim: several optax steps of sgd/momentum/adam/adamw on fixed params and grads."""
import numpy as np
import jax.numpy as jnp
import optax

from common import write_fixture

P0 = {"w": np.array([[0.5, -1.0, 2.0], [0.25, 3.0, -0.75]], np.float32), "b": np.array([0.1, -0.2, 0.3], np.float32)}


def grads(step):
    return {k: (np.sin(np.arange(v.size, dtype=np.float32).reshape(v.shape) + step) * (1 + step)).astype(np.float32)
            for k, v in P0.items()}


def run(tx, steps=5):
    params = {k: jnp.asarray(v) for k, v in P0.items()}
    st = tx.init(params)
    out = []
    for s in range(steps):
        g = {k: jnp.asarray(v) for k, v in grads(s).items()}
        u, st = tx.update(g, st, params)
        params = optax.apply_updates(params, u)
        out.append({k: np.asarray(v).reshape(-1).tolist() for k, v in params.items()})
    return out


CASES = {
    "sgd": optax.sgd(0.1),
    "momentum": optax.sgd(0.1, momentum=0.9),
    "nesterov": optax.sgd(0.1, momentum=0.9, nesterov=True),
    "adam": optax.adam(0.01),
    "adamw": optax.adamw(0.01, weight_decay=0.1),
    "clip_adam": optax.chain(optax.clip_by_global_norm(1.0), optax.adam(0.01)),
    "sgd_schedule": optax.sgd(lambda count: 0.1 * 0.5 ** count),
}

LOGITS = np.array([[2.0, -1.0, 0.5, 3.0], [-0.25, 0.0, 1.5, -2.0], [100.0, 0.0, -100.0, 50.0]], np.float32)
LABELS = np.array([3, 1, 2], np.int32)
PROBS = np.array([[0.1, 0.2, 0.3, 0.4], [0.0, 1.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]], np.float32)
PRED = np.array([0.5, -1.0, 2.0], np.float32)
TARGET = np.array([1.0, 1.0, -1.0], np.float32)

write_fixture("optim", "losses", {
    "logits": LOGITS.reshape(-1).tolist(), "shape": list(LOGITS.shape), "labels": LABELS.tolist(),
    "probs": PROBS.reshape(-1).tolist(),
    "softmax_cross_entropy_with_integer_labels": np.asarray(
        optax.softmax_cross_entropy_with_integer_labels(LOGITS, LABELS)).tolist(),
    "softmax_cross_entropy": np.asarray(optax.softmax_cross_entropy(LOGITS, PROBS)).tolist(),
    "pred": PRED.tolist(), "target": TARGET.tolist(),
    "squared_error": np.asarray(optax.squared_error(PRED, TARGET)).tolist(),
    "l2_loss": np.asarray(optax.l2_loss(PRED, TARGET)).tolist(),
})

write_fixture("optim", "steps", {
    "params": {k: v.reshape(-1).tolist() for k, v in P0.items()},
    "shapes": {k: list(v.shape) for k, v in P0.items()},
    "grads": [{k: v.reshape(-1).tolist() for k, v in grads(s).items()} for s in range(5)],
    "cases": {name: run(tx) for name, tx in CASES.items()},
})
