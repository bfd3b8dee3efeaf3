export { disposeTree } from './tree.js';
export type { Tree } from './tree.js';
export {
  scale,
  scaleByLearningRate,
  scaleBySchedule,
  trace,
  scaleByAdam,
  addDecayedWeights,
  clipByGlobalNorm,
  chain,
  applyUpdates,
} from './transform.js';
export type { GradientTransformation, EmptyState, TraceState, ScaleByAdamState, AdamOptions, Schedule, ScalarOrSchedule, ScaleByScheduleState } from './transform.js';
export { sgd, adam, adamw } from './aliases.js';
export type { SgdOptions } from './aliases.js';
export { softmaxCrossEntropyWithIntegerLabels, softmaxCrossEntropy, squaredError, l2Loss } from './losses.js';
export { Optimizer } from './optimizer.js';
export type { OptimizerOptions } from './optimizer.js';
