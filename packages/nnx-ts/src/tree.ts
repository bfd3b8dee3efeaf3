// Explicit re-exports: the `tree` namespace of the nnx-ts meta-package.
export {
  TreeStructureError,
  flatten,
  flattenUpTo,
  flattenWithPath,
  leaves,
  structure,
  unflatten,
  keyEntryToString,
  keyPathToString,
  map,
  mapN,
  mapWithPath,
  mapWithPathN,
  isPlainObject,
  registerNode,
  registeredNodeNames,
  TreeDef,
} from '@nnx-ts/pytree';
export type {
  TreeOptions,
  KeyEntry,
  KeyPath,
  NodeType,
  RegisteredNode,
  TreeDefKind,
  TreeDefNode,
} from '@nnx-ts/pytree';
