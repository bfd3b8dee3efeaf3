export { jit, jitCacheInfo, type JitCacheInfo, type JitDecorator, type JitOptions } from './jit.js';
export {
  DiffState,
  grad,
  valueAndGrad,
  type ArgGrad,
  type Argnum,
  type AuxOf,
  type GradAt,
  type GradOf,
  type GradOptions,
  type GradsOf,
  type GradTuple,
} from './autodiff.js';
export type { AnyFunction } from './transformDecorator.js';
export { vmap, type VmapDecorator, type VmapOptions } from './vmap.js';
export { StateAxes, type Axis, type StateAxis } from './stateAxes.js';
export type { AxisPrefix } from './axisPrefix.js';
export { Carry, type CarryMarker } from './carry.js';
export { scan, type ScanDecorator, type ScanOptions } from './scan.js';
export { cond, condAsync, foriLoop, switchAsync, switchCase, whileLoop, whileLoopAsync } from './controlFlow.js';
export { remat, type RematDecorator } from './remat.js';
export { customVjp, type CustomVjpFunction, type CustomVjpOptions } from './customVjp.js';
