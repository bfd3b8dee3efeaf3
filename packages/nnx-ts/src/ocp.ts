// Explicit re-exports: the `ocp` namespace of the nnx-ts meta-package.
export {
  CheckpointExistsError,
  CheckpointFormatError,
  CheckpointMismatchError,
  CheckpointNotFoundError,
  DTYPE_BYTES,
  decodeSafetensors,
  encodeSafetensors,
  decodeSafetensorsTree,
  encodeSafetensorsTree,
  entryToValues,
  hostArrayToEntry,
  StoredHostArray,
  tensorToEntry,
  CHECKPOINT_FILES,
  CHECKPOINT_FORMAT,
  StandardCheckpointer,
} from '@nnx-ts/checkpoint';
export type {
  SafetensorsDtype,
  SafetensorsEntry,
  SafetensorsFile,
  ContainerRecord,
  LeafRecord,
  CheckpointMetadata,
  SaveOptions,
} from '@nnx-ts/checkpoint';
