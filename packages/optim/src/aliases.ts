import { addDecayedWeights, chain, scaleByAdam, scaleByLearningRate, trace } from './transform.js';
import type { AdamOptions, GradientTransformation, ScalarOrSchedule } from './transform.js';

/** Options of {@link sgd}. */
export interface SgdOptions {
  momentum?: number;
  nesterov?: boolean;
}

/** `optax.sgd`. @example `sgd(0.1, { momentum: 0.9 })` */
export function sgd(learningRate: ScalarOrSchedule, options: SgdOptions = {}): GradientTransformation {
  const { momentum, nesterov = false } = options;
  return momentum === undefined
    ? chain(scaleByLearningRate(learningRate))
    : chain(trace(momentum, nesterov), scaleByLearningRate(learningRate));
}

/** `optax.adam`. @example `adam(1e-3)` */
export function adam(learningRate: ScalarOrSchedule, options: AdamOptions = {}): GradientTransformation {
  return chain(scaleByAdam(options), scaleByLearningRate(learningRate));
}

/** `optax.adamw` (default weight decay 1e-4). @example `adamw(1e-3, { weightDecay: 0.01 })` */
export function adamw(learningRate: ScalarOrSchedule, options: AdamOptions & { weightDecay?: number } = {}): GradientTransformation {
  const { weightDecay = 1e-4, ...adamOptions } = options;
  return chain(scaleByAdam(adamOptions), addDecayedWeights(weightDecay), scaleByLearningRate(learningRate));
}
