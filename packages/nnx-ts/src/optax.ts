// Explicit re-exports: the `optax` namespace of the nnx-ts meta-package (gradient transformations and losses).
export {
  scale,
  scaleByLearningRate,
  trace,
  scaleByAdam,
  addDecayedWeights,
  clipByGlobalNorm,
  chain,
  applyUpdates,
  sgd,
  adam,
  adamw,
  softmaxCrossEntropyWithIntegerLabels,
  softmaxCrossEntropy,
  squaredError,
  l2Loss,
} from '@nnx-ts/optim';
export type {
  TensorTree,
  GradientTransformation,
  EmptyState,
  TraceState,
  ScaleByAdamState,
  AdamOptions,
  SgdOptions,
  AdamWOptions,
} from '@nnx-ts/optim';
