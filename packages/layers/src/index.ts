export {
  computeFans,
  varianceScaling,
  lecunNormal,
  lecunUniform,
  heNormal,
  heUniform,
  glorotNormal,
  glorotUniform,
  xavierNormal,
  xavierUniform,
  normal,
  uniform,
  truncatedNormal,
  zeros,
  ones,
  constant,
} from './initializers.js';
export type { Initializer, FanMode, Distribution, FanAxes } from './initializers.js';
export { Linear } from './linear.js';
export type { LinearOptions } from './linear.js';
export { relu, gelu, sigmoid, silu, softmax, logSoftmax, tanh } from './activations.js';
export { Dropout } from './dropout.js';
export { BatchNorm, LayerNorm, RMSNorm } from './normalization.js';
export type { NormOptions } from './normalization.js';
