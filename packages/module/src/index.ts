import './pytreeRegistration.js';
export { NnxError, ShapeError, FilterError, GraphError, StateError, TransformError } from './errors.js';
export { HOST_ARRAY, isHostArray, isArrayLeaf } from './hostArray.js';
export type { HostArray, ArrayLeaf } from './hostArray.js';
export { ShapeDtype, LazyValue, lazy, isShapeDtype, isLazyValue } from './shapeDtype.js';
export {
  VARIABLE_BRAND,
  isVariable,
  shareValue,
  Variable,
  Param,
  BatchStat,
  Cache,
  Intermediate,
  Perturbation,
  RngState,
  RngKey,
  RngCount,
  OptState,
} from './variable.js';
export type { VariableMetadata, VariableType } from './variable.js';
export { registerVariableName, variableTypeFromName, variableNameFromType } from './variableNames.js';
export {
  PYTREE_BRAND,
  Pytree,
  isPytree,
  markData,
  markStatic,
  registerDataType,
  isDataType,
  pytreeAttributes,
} from './pytree.js';
export { MODULE_BRAND, Module, isModule } from './module.js';
export type { SowOptions } from './module.js';
export { keyOf, compareKeys, comparePaths, pathToString } from './paths.js';
export type { Key, Path } from './paths.js';
export { STATE_BRAND, State, isState, isMapping, isPlainObject } from './state.js';
export { FlatState, toFlatState, fromFlatState, forEachLeaf } from './flatState.js';
export {
  OfType,
  WithTag,
  PathContains,
  All,
  Any,
  Not,
  Everything,
  Nothing,
  isEverything,
  isFilterObject,
  toPredicate,
  partitionPredicates,
  filtersEqual,
} from './filters.js';
export type { Filter, FilterObject, Predicate } from './filters.js';
export {
  GraphDef,
  NODE_ATTR,
  ARRAY_ATTR,
  STATIC_ATTR,
  flatten,
  unflatten,
} from './graph.js';
export { isGraphOrPytreeNode, type RegisteredNodeMetadata } from './pytreeNode.js';
export { Trace, openTrace, closeTrace, currentTrace, canWrite } from './trace.js';
export { InPlaceCall } from './inPlaceCall.js';
export { FlattenCache } from './flattenCache.js';
export type { NodeDef, VariableDef, NodeRef, Attribute, NodeType, Flattened, UnflattenOptions } from './graph.js';
export {
  split,
  merge,
  state,
  graphdef,
  update,
  clone,
  pop,
  mergeState,
  iterGraph,
  findDuplicates,
  pure,
} from './api.js';
export {
  toPureDict,
  replaceByPureDict,
  filterState,
  splitState,
  mapState,
  diff,
  disposeTree,
} from './stateFunctions.js';
export { read } from './read.js';
export { evalShape } from './evalShape.js';
export { tabulate, display, formatSize } from './display.js';
export { Sequential } from './sequential.js';
export type { SequentialLayer } from './sequential.js';
export * as traversals from './traversals.js';
export type { FlattenMappingOptions } from './traversals.js';
export { call } from './call.js';
export type { CallProxy, CallResult } from './call.js';
export { MetadataValue, withMetadata, withPartitioning } from './withMetadata.js';
export type { InitializerWithMetadata } from './withMetadata.js';
