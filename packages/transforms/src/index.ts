export { jit, type JitDecorator, type JitOptions } from './jit.js';
export { DiffState, grad, valueAndGrad, type ArgGrad, type GradOptions, type Grads } from './autodiff.js';
export type { AnyFunction } from './transformDecorator.js';
export { vmap, type VmapOptions } from './vmap.js';
export { StateAxes, type Axis } from './stateAxes.js';
export { Carry, type AxisPrefix, type CarryMarker } from './axisPrefix.js';
