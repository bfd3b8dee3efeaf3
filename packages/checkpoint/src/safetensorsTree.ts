import { isHostArray, pathToString } from '@nnx-ts/module';
import * as tf from '@tensorflow/tfjs-core';
import { entryToValues, hostArrayToEntry, StoredHostArray, tensorToEntry } from './arrays.js';
import { CheckpointFormatError } from './errors.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsEntry } from './safetensors.js';
import { walkTree } from './treeRecord.js';

// JAX's key dtype names abbreviate the implementation names (`jax.random.key_impl`) that checkpoints record.
const KEY_IMPLS = new Map([
  ['key<fry>', 'threefry2x32'],
  ['key<rbg>', 'rbg'],
  ['key<urbg>', 'unsafe_rbg'],
]);
const KEY_DTYPES = new Map([...KEY_IMPLS].map(([dtype, impl]) => [impl, dtype]));

/** The implementation name of a key dtype (`'key<fry>'` → `'threefry2x32'`); undefined for other dtypes. */
function keyImplOf(dtype: string): string | undefined {
  return KEY_IMPLS.get(dtype) ?? /^key<(.+)>$/.exec(dtype)?.[1];
}

/**
 * Encodes a nested tree of tensors and host arrays (plain objects, arrays, States; Variables are unwrapped) as one
 * safetensors file in the Hugging Face Flax convention: names are paths joined with `.`, and each key array is
 * stored as its U32 key data with `__metadata__[name] = '<impl>'` (e.g. `threefry2x32`). Values are read with
 * `await t.data()`.
 *
 * @example
 * ```ts
 * const bytes = await encodeSafetensorsTree({ linear: { kernel: tf.ones([2, 3]) } }, { format: 'flax' });
 * ```
 */
export async function encodeSafetensorsTree(tree: unknown, metadata: Readonly<Record<string, string>> = {}): Promise<Uint8Array> {
  const { leaves } = walkTree(tree, true);
  const entries = new Map<string, SafetensorsEntry>();
  const meta: Record<string, string> = { ...metadata };
  for (const { path, value } of leaves) {
    const name = path.join('.');
    if (entries.has(name)) throw new TypeError(`${pathToString(path)}: two paths map to the tensor name '${name}'.`);
    if (isHostArray(value)) {
      entries.set(name, hostArrayToEntry(value));
      const impl = keyImplOf(value.dtype);
      if (impl !== undefined) meta[name] = impl;
    } else if (value instanceof tf.Tensor) {
      entries.set(name, await tensorToEntry(value, pathToString(path)));
    } else {
      throw new TypeError(`${pathToString(path)}: cannot save an abstract value (${String(value)}).`);
    }
  }
  return encodeSafetensors(entries, meta);
}

/**
 * Decodes a safetensors file into a nested plain-object tree by splitting names on `.` (like Flax's
 * `unflatten_dict(sep='.')`): float/int/bool tensors become `tf.Tensor`s (see `entryToValues` for conversions), U32
 * tensors become host arrays, and a U32 tensor whose name has a `__metadata__` entry (the key implementation, e.g.
 * `threefry2x32`) becomes a key array of JAX's dtype for it (`key<fry>`) whose logical shape drops the trailing word axis. List indices stay
 * object keys (`'0'`), as in Flax; `replaceByPureDict` maps them back. The caller owns the tensors.
 *
 * @throws {@link CheckpointFormatError} for an invalid file or a name that is both a leaf and a prefix.
 * @example
 * ```ts
 * const tree = decodeSafetensorsTree(await readFile('flax_flat.safetensors'), 'flax_flat.safetensors');
 * tree.dropout.rngs.key.dtype; // 'key<fry>'
 * ```
 */
export function decodeSafetensorsTree(bytes: Uint8Array, fileName = '<safetensors>'): Record<string, any> {
  const { tensors, metadata } = decodeSafetensors(bytes, fileName);
  for (const name of tensors.keys()) {
    for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) {
      if (tensors.has(name.slice(0, i))) throw new CheckpointFormatError(fileName, `'${name.slice(0, i)}' is both a tensor and a prefix of '${name}'`);
    }
  }
  const root: Record<string, any> = {};
  for (const [name, entry] of tensors) {
    const parts = name.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, any>;
    const { values, dtype } = entryToValues(entry, fileName, name);
    let leaf: unknown;
    if (dtype === 'uint32') {
      const impl = metadata[name];
      leaf =
        impl === undefined
          ? new StoredHostArray(entry.shape, 'uint32', values as Uint32Array)
          : new StoredHostArray(entry.shape.slice(0, -1), KEY_DTYPES.get(impl) ?? `key<${impl}>`, values as Uint32Array);
    } else {
      leaf = tf.tensor(values as Float32Array | Int32Array | Uint8Array, [...entry.shape], dtype);
    }
    node[parts[parts.length - 1]!] = leaf;
  }
  return root;
}
