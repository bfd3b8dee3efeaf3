export { TreeStructureError } from './errors.js';
export { flatten, flattenUpTo, flattenWithPath, leaves, structure, unflatten, type TreeOptions } from './flatten.js';
export { keyEntryToString, keyPathToString, type KeyEntry, type KeyPath } from './keyPath.js';
export { map, mapN, mapWithPath, mapWithPathN } from './map.js';
export { isPlainObject, lookupNode, registerNode, registeredNodeNames, type NodeType, type RegisteredNode } from './registry.js';
export { TreeDef, type TreeDefKind, type TreeDefNode } from './treeDef.js';
