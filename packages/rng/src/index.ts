export { KeyError, RngStreamError } from './errors.js';
export { KeyArray, HostUint32Array, KEY_DTYPE, KEY_IMPL } from './hostArrays.js';
export { threefry2x32, threefryPair, threefryWords } from './threefry.js';
export {
  key,
  keyData,
  wrapKeyData,
  split,
  foldIn,
  bits,
  uniform,
  uniformValues,
  normal,
  normalValues,
  truncatedNormal,
  truncatedNormalValues,
  bernoulli,
} from './random.js';
export type { RngMode, SampleOptions, Shape } from './random.js';
export { RngStream } from './rngStream.js';
export type { StreamSeed, ForkOptions } from './rngStream.js';
export { Rngs } from './rngs.js';
export type { RngsSeed, RngsForkSplit } from './rngs.js';
export { splitRngs, forkRngs, reseed, RngBackups } from './splitRngs.js';
export type { SplitRngsOptions, ForkRngsOptions, ReseedPolicy, RngsDecorator } from './splitRngs.js';
export {
  randint,
  permutation,
  choice,
  gumbel,
  gumbelValues,
  exponential,
  exponentialValues,
  laplace,
  laplaceValues,
  categorical,
} from './samplers.js';
export type { ChoiceOptions } from './samplers.js';
export {
  registerRandomKernels,
  uniformOnDevice,
  bernoulliOnDevice,
  THREEFRY_UNIFORM,
  THREEFRY_BERNOULLI,
} from './kernels/randomKernels.js';
