export { CheckpointExistsError, CheckpointFormatError, CheckpointMismatchError, CheckpointNotFoundError } from './errors.js';
export {
  DTYPE_BYTES,
  decodeSafetensors,
  encodeSafetensors,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsFile,
} from './safetensors.js';
export { decodeSafetensorsTree, encodeSafetensorsTree } from './safetensorsTree.js';
export { entryToValues, hostArrayToEntry, StoredHostArray, tensorToEntry } from './arrays.js';
export type { ContainerRecord, LeafRecord } from './treeRecord.js';
export {
  CHECKPOINT_FILES,
  CHECKPOINT_FORMAT,
  StandardCheckpointer,
  type CheckpointMetadata,
  type SaveOptions,
} from './standardCheckpointer.js';
