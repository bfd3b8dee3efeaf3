import { isHostArray, isState, isVariable, keyOf, pathToString, State, Variable, type HostArray, type Key, type VariableType } from '@nnx-ts/module';
import * as tf from '@tensorflow/tfjs-core';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HostUint32Array, KEY_DTYPE, KeyArray } from '@nnx-ts/rng';
import { entryToValues, hostArrayToEntry, StoredHostArray, tensorToEntry } from './arrays.js';
import { COMMIT_MARKER, exists, writeDirectoryAtomically } from './atomicDirectory.js';
import { CheckpointExistsError, CheckpointFormatError, CheckpointMismatchError, CheckpointNotFoundError } from './errors.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsEntry, type SafetensorsFile } from './safetensors.js';
import { pathKey, shapeDtypeOf, walkTree, type ContainerRecord, type LeafRecord } from './treeRecord.js';

/**
 * File names inside a checkpoint directory.
 *
 * @example
 * ```ts
 * await readFile(join(dir, CHECKPOINT_FILES.metadata), 'utf8');
 * ```
 */
export const CHECKPOINT_FILES = { data: 'model.safetensors', metadata: 'checkpoint_metadata.json', commit: COMMIT_MARKER } as const;

/**
 * Format tag written to the metadata file and the safetensors `__metadata__`.
 *
 * @example
 * ```ts
 * (await ckpt.metadata(dir)).format === CHECKPOINT_FORMAT; // true
 * ```
 */
export const CHECKPOINT_FORMAT = 'nnx-ts-checkpoint/1';

/**
 * Contents of `checkpoint_metadata.json`: every container (lists vs dicts) and every leaf of the saved tree.
 *
 * @example
 * ```ts
 * const meta = await new StandardCheckpointer().metadata(dir);
 * meta.leaves.map((l) => [l.path, l.variable?.type]); // [[['linear', 'bias'], 'Param'], ...]
 * ```
 */
export interface CheckpointMetadata {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly savedAt: string;
  readonly containers: ContainerRecord[];
  readonly leaves: LeafRecord[];
}

/**
 * Options of {@link StandardCheckpointer.save}.
 *
 * @example
 * ```ts
 * await ckpt.save(dir, state, { force: true });
 * ```
 */
export interface SaveOptions {
  /** Replace an existing checkpoint at the directory (atomically) instead of throwing {@link CheckpointExistsError}. */
  force?: boolean;
}

/** Unique tensor name for a path: parts joined with '.', like Hugging Face Flax files and Orbax parameter names. */
function tensorName(path: readonly Key[], taken: Set<string>): string {
  const base = path.length === 0 ? '<root>' : path.join('.');
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}#${i}`;
  taken.add(name);
  return name;
}

function jsonSafe(metadata: Record<string, unknown>, path: readonly Key[]): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(metadata)) as Record<string, unknown>;
  } catch (e) {
    throw new TypeError(`${pathToString(path)}: Variable metadata is not JSON-serializable (${(e as Error).message}).`, { cause: e });
  }
}

const TENSOR_FILE_DTYPES: Readonly<Record<string, string>> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

/**
 * Saves and restores NNX State (or plain nested objects of arrays) as a directory holding `model.safetensors`,
 * `checkpoint_metadata.json` and a `commit_success.txt` marker, written atomically. Named after Orbax's
 * `StandardCheckpointer`. Tensor values are read with `await t.data()`; host arrays (RNG keys and counts) are stored
 * as U32.
 *
 * @example
 * ```ts
 * const ckpt = new StandardCheckpointer();
 * await ckpt.save('/tmp/ckpt/step_1', state(model));
 * const restored = await ckpt.restore('/tmp/ckpt/step_1', state(abstractModel)); // a State of Params etc.
 * const raw = await ckpt.restore('/tmp/ckpt/step_1'); // plain objects of tensors / host arrays
 * ```
 */
export class StandardCheckpointer {
  /**
   * Writes `state` to `directory`. The directory appears only once complete; with `force`, an existing checkpoint
   * is replaced, otherwise {@link CheckpointExistsError} is thrown.
   *
   * @example
   * ```ts
   * await ckpt.save('/tmp/ckpt/step_2', state(model), { force: true });
   * ```
   */
  async save(directory: string, state: unknown, options: SaveOptions = {}): Promise<void> {
    const final = resolve(directory);
    const existsError = (): Error => new CheckpointExistsError(`${final} already exists; pass { force: true } to overwrite it.`);
    // Checked early to fail before reading any tensor; checked again at commit time against concurrent writers.
    if (!options.force && (await exists(final))) throw existsError();
    const { containers, leaves } = walkTree(state, true);
    const taken = new Set<string>();
    const entries = new Map<string, SafetensorsEntry>();
    const records: LeafRecord[] = [];
    for (const leaf of leaves) {
      const { value, path, variable } = leaf;
      const name = tensorName(path, taken);
      if (isHostArray(value)) entries.set(name, hostArrayToEntry(value));
      else if (value instanceof tf.Tensor) entries.set(name, await tensorToEntry(value, pathToString(path)));
      else throw new TypeError(`${pathToString(path)}: cannot save an abstract value (${String(value)}).`);
      const { shape, dtype } = shapeDtypeOf(value);
      const record: LeafRecord = { path, tensor: name, dtype, shape, host: isHostArray(value) };
      records.push(
        variable === undefined
          ? record
          : { ...record, variable: { type: variable.constructor.name, metadata: jsonSafe(variable.metadata, path) } },
      );
    }
    const metadata: CheckpointMetadata = { format: CHECKPOINT_FORMAT, savedAt: new Date().toISOString(), containers, leaves: records };
    const bytes = encodeSafetensors(entries, { format: CHECKPOINT_FORMAT });
    await writeDirectoryAtomically(
      final,
      async (writeFile) => {
        await writeFile(CHECKPOINT_FILES.data, bytes);
        await writeFile(CHECKPOINT_FILES.metadata, JSON.stringify(metadata, null, 1));
      },
      { overwrite: options.force === true, onExists: existsError },
    );
  }

  /**
   * Reads and validates the metadata file of a committed checkpoint.
   *
   * @example
   * ```ts
   * (await ckpt.metadata(dir)).leaves.map((l) => l.variable?.type); // ['Param', 'BatchStat', ...]
   * ```
   */
  async metadata(directory: string): Promise<CheckpointMetadata> {
    const dir = await committedDirectory(directory);
    return readMetadata(join(dir, CHECKPOINT_FILES.metadata));
  }

  /**
   * Restores a checkpoint. Without `target`: the raw tree of plain objects (arrays where the saved container was a
   * list) holding tensors and host arrays. With `target` (a State, possibly abstract from `evalShape`, or a plain
   * tree): the same structure and Variable types (with the target's Variable metadata), after checking every path,
   * shape and dtype. The caller owns the returned tensors.
   *
   * @throws {@link CheckpointNotFoundError}, {@link CheckpointFormatError}, {@link CheckpointMismatchError}.
   * @example
   * ```ts
   * const restored = await ckpt.restore(dir, state(evalShape(() => new Model())));
   * ```
   */
  async restore<T = Record<string, any>>(directory: string, target?: T): Promise<T> {
    const dir = await committedDirectory(directory);
    const metadata = await readMetadata(join(dir, CHECKPOINT_FILES.metadata));
    const dataFile = join(dir, CHECKPOINT_FILES.data);
    const file = decodeSafetensors(new Uint8Array(await readFile(dataFile)), dataFile);
    checkAgainstFile(metadata, file, dataFile);
    const byPath = new Map(metadata.leaves.map((r) => [pathKey(r.path), r]));
    const load = (record: LeafRecord, like?: unknown): unknown => {
      const { values, dtype } = entryToValues(file.tensors.get(record.tensor)!, dataFile, record.tensor);
      if (record.host) {
        if (isHostArray(like)) {
          const copy = like.clone();
          copy.data.set(values as Uint32Array);
          return copy;
        }
        return hostArrayOf(record, values as Uint32Array);
      }
      return tf.tensor(values as Float32Array | Int32Array | Uint8Array, record.shape, dtype as 'float32' | 'int32' | 'bool');
    };
    if (target === undefined) return buildRaw(metadata, (r) => load(r)) as T;
    checkTarget(target, byPath);
    return rebuildLike(target, [], byPath, load) as T;
  }
}

/** RNG keys and counts come back as the rng package's host arrays; other host dtypes as {@link StoredHostArray}. */
function hostArrayOf(record: LeafRecord, words: Uint32Array): HostArray {
  if (record.dtype === KEY_DTYPE) return new KeyArray(record.shape, words);
  if (record.dtype === 'uint32') return new HostUint32Array(record.shape, words);
  return new StoredHostArray(record.shape, record.dtype, words);
}

async function committedDirectory(directory: string): Promise<string> {
  const dir = resolve(directory);
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (!isDir) throw new CheckpointNotFoundError(`No checkpoint directory at ${dir}.`);
  if (!(await exists(join(dir, CHECKPOINT_FILES.commit)))) {
    throw new CheckpointNotFoundError(`${dir} holds no committed checkpoint (${CHECKPOINT_FILES.commit} is missing).`);
  }
  return dir;
}

function isKeyPath(x: unknown): x is Key[] {
  return Array.isArray(x) && x.every((k) => typeof k === 'string' || Number.isSafeInteger(k));
}

async function readMetadata(file: string): Promise<CheckpointMetadata> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CheckpointFormatError(file, `cannot read the metadata file (${(e as Error).message})`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CheckpointFormatError(file, `expected JSON metadata (${(e as Error).message})`, { cause: e });
  }
  const m = parsed as Partial<CheckpointMetadata> | null;
  if (typeof m !== 'object' || m === null || m.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointFormatError(file, `expected an object with format '${CHECKPOINT_FORMAT}'`);
  }
  if (!Array.isArray(m.containers) || !m.containers.every((c) => isKeyPath(c?.path) && (c.kind === 'list' || c.kind === 'dict'))) {
    throw new CheckpointFormatError(file, 'expected containers: [{ path: (string|number)[], kind: "list"|"dict" }]');
  }
  const validLeaf = (l: LeafRecord | null): boolean =>
    typeof l === 'object' && l !== null && isKeyPath(l.path) && typeof l.tensor === 'string' && typeof l.dtype === 'string' &&
    Array.isArray(l.shape) && l.shape.every((d) => Number.isSafeInteger(d) && d >= 0) && typeof l.host === 'boolean';
  if (!Array.isArray(m.leaves) || !m.leaves.every(validLeaf)) {
    throw new CheckpointFormatError(file, 'expected leaves: [{ path, tensor, dtype, shape, host, variable? }]');
  }
  return m as CheckpointMetadata;
}

/** Every leaf the metadata names must be in the data file with a consistent dtype and element count. */
function checkAgainstFile(metadata: CheckpointMetadata, file: SafetensorsFile, fileName: string): void {
  for (const r of metadata.leaves) {
    const entry = file.tensors.get(r.tensor);
    if (entry === undefined) throw new CheckpointFormatError(fileName, `missing tensor '${r.tensor}' for ${pathToString(r.path)}`);
    const expectedDtype = r.host ? 'U32' : TENSOR_FILE_DTYPES[r.dtype];
    if (entry.dtype !== expectedDtype) {
      throw new CheckpointFormatError(fileName, `tensor '${r.tensor}' is ${entry.dtype}, expected ${expectedDtype ?? r.dtype} for ${r.dtype}`);
    }
    const stored = entry.shape.reduce((a, b) => a * b, 1);
    const logical = r.shape.reduce((a, b) => a * b, 1);
    if (r.host ? stored % Math.max(logical, 1) !== 0 : stored !== logical) {
      throw new CheckpointFormatError(fileName, `tensor '${r.tensor}' has shape [${entry.shape.join(', ')}], expected [${r.shape.join(', ')}]`);
    }
  }
}

function buildRaw(metadata: CheckpointMetadata, load: (r: LeafRecord) => unknown): unknown {
  const nodes = new Map<string, Record<Key, unknown>>();
  let root: unknown;
  const attach = (path: readonly Key[], value: unknown): void => {
    if (path.length === 0) {
      root = value;
      return;
    }
    const parent = nodes.get(pathKey(path.slice(0, -1)));
    if (parent === undefined) throw new CheckpointFormatError(CHECKPOINT_FILES.metadata, `no container recorded for the parent of ${pathToString(path)}`);
    parent[path[path.length - 1]!] = value;
  };
  for (const c of metadata.containers) {
    const node = c.kind === 'list' ? ([] as unknown[]) : {};
    nodes.set(pathKey(c.path), node as Record<Key, unknown>);
    attach(c.path, node);
  }
  for (const r of metadata.leaves) attach(r.path, load(r));
  return root;
}

/** Checks every target leaf against the checkpoint (path, shape, dtype) and that the checkpoint has no extra leaves. */
function checkTarget(target: unknown, byPath: Map<string, LeafRecord>): void {
  const { leaves } = walkTree(target, false);
  const seen = new Set<string>();
  for (const leaf of leaves) {
    const key = pathKey(leaf.path);
    const record = byPath.get(key);
    const where = pathToString(leaf.path);
    const expected = shapeDtypeOf(leaf.value);
    if (record === undefined) throw new CheckpointMismatchError(`${where}: expected ${describeArray(expected)} from the target, but the checkpoint has no such path.`);
    seen.add(key);
    if (record.dtype !== expected.dtype || record.shape.length !== expected.shape.length || record.shape.some((d, i) => d !== expected.shape[i])) {
      throw new CheckpointMismatchError(`${where}: expected ${describeArray(expected)} from the target, checkpoint has ${describeArray(record)}.`);
    }
  }
  const extra = [...byPath.entries()].filter(([k]) => !seen.has(k)).map(([, r]) => pathToString(r.path));
  if (extra.length > 0) throw new CheckpointMismatchError(`The checkpoint has paths the target lacks: ${extra.join(', ')}.`);
}

function describeArray(x: { shape: readonly number[]; dtype: string }): string {
  return `${x.dtype}[${x.shape.join(', ')}]`;
}

/** A copy of `target`'s structure with each leaf loaded from the checkpoint (already checked by checkTarget). */
function rebuildLike(target: unknown, path: Key[], byPath: Map<string, LeafRecord>, load: (r: LeafRecord, like?: unknown) => unknown): unknown {
  const child = (x: unknown, key: Key): unknown => {
    path.push(key);
    const out = rebuildLike(x, path, byPath, load);
    path.pop();
    return out;
  };
  if (isVariable(target)) {
    const value = load(byPath.get(pathKey(path))!, target.raw);
    return Variable.fromMetadata.call(target.constructor as VariableType, value, target.metadata);
  }
  if (Array.isArray(target)) return target.map((x, i) => child(x, i));
  if (isState(target) || (typeof target === 'object' && target !== null && isPlainRecord(target))) {
    const out: Record<string, unknown> = isState(target) ? new State() : {};
    for (const name of Object.keys(target)) out[name] = child((target as Record<string, unknown>)[name], keyOf(name));
    return out;
  }
  return load(byPath.get(pathKey(path))!, target as HostArray);
}

function isPlainRecord(x: object): boolean {
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}
