// Explicit re-exports: the `nnx.initializers` namespace of the nnx-ts meta-package.
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
} from '@nnx-ts/layers';
export type {
  Initializer,
  FanMode,
  Distribution,
  FanAxes,
} from '@nnx-ts/layers';
