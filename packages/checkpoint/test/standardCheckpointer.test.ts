import { BatchStat, isHostArray, isState, Param, RngCount, RngKey, ShapeDtype, State, Variable } from '@nnx-ts/module';
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_FILES,
  CheckpointExistsError,
  CheckpointFormatError,
  CheckpointMismatchError,
  CheckpointNotFoundError,
  StandardCheckpointer,
  StoredHostArray,
} from '../src/index.js';
import { tempDir } from './helpers.js';

/** A State shaped like an NNX model's: Params, BatchStats, a list of layers, RNG key and count host arrays. */
function makeState(): State {
  return new State({
    linear: new State({
      kernel: new Param(tf.tensor2d([[1.5, -2.25, 3], [0.1, 0.2, 0.3]])),
      bias: new Param(tf.tensor1d([0, -0, 7])),
    }),
    bn: new State({ mean: new BatchStat(tf.tensor1d([0.5, 0.25])), count: new BatchStat(tf.scalar(3, 'int32')) }),
    layers: new State({ 0: new State({ kernel: new Param(tf.tensor2d([[1, 2]]), { sharding_names: ['in', 'out'] }) }) }),
    mask: new BatchStat(tf.tensor1d([true, false], 'bool')),
    dropout: new State({
      rngs: new State({
        key: new RngKey(new StoredHostArray([], 'key<fry>', new Uint32Array([507451445, 1853169794])), { tag: 'dropout' }),
        count: new RngCount(new StoredHostArray([], 'uint32', new Uint32Array([5])), { tag: 'dropout' }),
      }),
    }),
  });
}

async function valuesOf(x: unknown): Promise<unknown> {
  if (x instanceof tf.Tensor) return { dtype: x.dtype, shape: x.shape, values: [...(await x.data())] };
  if (isHostArray(x)) return { dtype: x.dtype, shape: x.shape, words: [...x.data] };
  return x;
}

function disposeAll(tree: unknown): void {
  if (tree instanceof tf.Tensor) tree.dispose();
  else if (tree instanceof Variable) disposeAll(tree.raw);
  else if (typeof tree === 'object' && tree !== null) for (const v of Object.values(tree)) disposeAll(v);
}

describe('StandardCheckpointer save/restore', () => {
  it('writes model.safetensors, metadata and the commit marker, and nothing else next to it', async () => {
    const root = await tempDir();
    const dir = join(root, 'step_1');
    const state = makeState();
    await new StandardCheckpointer().save(dir, state);
    expect((await readdir(dir)).sort()).toEqual([CHECKPOINT_FILES.metadata, CHECKPOINT_FILES.commit, CHECKPOINT_FILES.data].sort());
    expect(await readdir(root)).toEqual(['step_1']);
    const meta = await new StandardCheckpointer().metadata(dir);
    expect(meta.leaves.map((l) => [l.path, l.variable?.type, l.dtype, l.shape, l.host])).toEqual([
      [['bn', 'count'], 'BatchStat', 'int32', [], false],
      [['bn', 'mean'], 'BatchStat', 'float32', [2], false],
      [['dropout', 'rngs', 'count'], 'RngCount', 'uint32', [], true],
      [['dropout', 'rngs', 'key'], 'RngKey', 'key<fry>', [], true],
      [['layers', 0, 'kernel'], 'Param', 'float32', [1, 2], false],
      [['linear', 'bias'], 'Param', 'float32', [3], false],
      [['linear', 'kernel'], 'Param', 'float32', [2, 3], false],
      [['mask'], 'BatchStat', 'bool', [2], false],
    ]);
    expect(meta.leaves.find((l) => l.tensor === 'layers.0.kernel')?.variable?.metadata).toEqual({ sharding_names: ['in', 'out'] });
    expect(meta.leaves.find((l) => l.tensor === 'dropout.rngs.key')?.variable?.metadata).toEqual({ tag: 'dropout' });
    disposeAll(state);
  });

  it('restores with a target: same Variable types and metadata, bit-identical values', async () => {
    const dir = join(await tempDir(), 'ckpt');
    const state = makeState();
    const ckpt = new StandardCheckpointer();
    await ckpt.save(dir, state);
    const target = makeState();
    const restored = await ckpt.restore(dir, target);
    disposeAll(target);
    expect(isState(restored)).toBe(true);
    expect(restored.linear.kernel).toBeInstanceOf(Param);
    expect(restored.bn.mean).toBeInstanceOf(BatchStat);
    expect(restored.dropout.rngs.key).toBeInstanceOf(RngKey);
    expect(restored.dropout.rngs.key.metadata).toEqual({ tag: 'dropout' });
    expect(restored.layers[0].kernel.metadata).toEqual({ sharding_names: ['in', 'out'] });
    const pairs: Array<[unknown, unknown]> = [
      [restored.linear.kernel.value, state.linear.kernel.value],
      [restored.linear.bias.value, state.linear.bias.value],
      [restored.bn.count.value, state.bn.count.value],
      [restored.mask.value, state.mask.value],
      [restored.layers[0].kernel.value, state.layers[0].kernel.value],
      [restored.dropout.rngs.key.value, state.dropout.rngs.key.value],
      [restored.dropout.rngs.count.value, state.dropout.rngs.count.value],
    ];
    for (const [got, want] of pairs) expect(await valuesOf(got)).toEqual(await valuesOf(want));
    // -0 survives bit-identically.
    expect(Object.is((await (restored.linear.bias.value as tf.Tensor).data())[1], -0)).toBe(true);
    disposeAll(state);
    disposeAll(restored);
  });

  it('restores into an abstract target (ShapeDtype values, as from evalShape)', async () => {
    const dir = join(await tempDir(), 'ckpt');
    const state = new State({ w: new Param(tf.tensor1d([1, 2])), n: new RngCount(new StoredHostArray([], 'uint32', new Uint32Array([9])), { tag: 'default' }) });
    await new StandardCheckpointer().save(dir, state);
    const abstract = new State({ w: new Param(new ShapeDtype([2], 'float32')), n: new RngCount(new ShapeDtype([], 'uint32'), { tag: 'default' }) });
    const restored = await new StandardCheckpointer().restore(dir, abstract);
    expect(await valuesOf(restored.w.value)).toEqual({ dtype: 'float32', shape: [2], values: [1, 2] });
    expect(await valuesOf(restored.n.value)).toEqual({ dtype: 'uint32', shape: [], words: [9] });
    disposeAll(state);
    disposeAll(restored);
  });

  it('restores without a target as plain objects, lists as arrays, host arrays as host arrays', async () => {
    const dir = join(await tempDir(), 'ckpt');
    const tree = { params: [{ w: tf.tensor1d([1, 2]) }, { w: tf.tensor1d([3]) }], step: tf.scalar(4, 'int32') };
    await new StandardCheckpointer().save(dir, tree);
    const raw = await new StandardCheckpointer().restore(dir);
    expect(Array.isArray(raw.params)).toBe(true);
    expect(Object.getPrototypeOf(raw)).toBe(Object.prototype);
    expect(await valuesOf(raw.params[1].w)).toEqual({ dtype: 'float32', shape: [1], values: [3] });
    expect(await valuesOf(raw.step)).toEqual({ dtype: 'int32', shape: [], values: [4] });
    disposeAll(tree);
    disposeAll(raw);

    const dir2 = join(await tempDir(), 'ckpt');
    const state = makeState();
    await new StandardCheckpointer().save(dir2, state);
    const raw2 = await new StandardCheckpointer().restore(dir2);
    expect(Object.keys(raw2).sort()).toEqual(['bn', 'dropout', 'layers', 'linear', 'mask']);
    expect(raw2.linear.kernel).toBeInstanceOf(tf.Tensor);
    expect(await valuesOf(raw2.dropout.rngs.key)).toEqual({ dtype: 'key<fry>', shape: [], words: [507451445, 1853169794] });
    expect(await valuesOf(raw2.layers[0].kernel)).toEqual({ dtype: 'float32', shape: [1, 2], values: [1, 2] });
    disposeAll(state);
    disposeAll(raw2);
  });

  it('keeps tf.memory() flat across repeated save/restore loops', async () => {
    const dir = join(await tempDir(), 'ckpt');
    const state = makeState();
    const ckpt = new StandardCheckpointer();
    const loop = async (): Promise<void> => {
      await ckpt.save(dir, state, { force: true });
      disposeAll(await ckpt.restore(dir, state));
      disposeAll(await ckpt.restore(dir));
    };
    await loop();
    const before = tf.memory();
    for (let i = 0; i < 5; i++) await loop();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    disposeAll(state);
  });
});

describe('StandardCheckpointer atomicity and errors', () => {
  it('refuses to overwrite without force, replaces atomically with force', async () => {
    const root = await tempDir();
    const dir = join(root, 'ckpt');
    const ckpt = new StandardCheckpointer();
    const a = { w: tf.tensor1d([1]) };
    const b = { w: tf.tensor1d([2]) };
    await ckpt.save(dir, a);
    await expect(ckpt.save(dir, b)).rejects.toThrow(CheckpointExistsError);
    await expect(ckpt.save(dir, b)).rejects.toThrow(/already exists; pass \{ force: true \}/);
    await ckpt.save(dir, b, { force: true });
    const raw = await ckpt.restore(dir);
    expect(await valuesOf(raw.w)).toEqual({ dtype: 'float32', shape: [1], values: [2] });
    expect(await readdir(root)).toEqual(['ckpt']);
    disposeAll([a, b, raw]);
  });

  it('a save that fails midway leaves no checkpoint at the final path and no temporary directory', async () => {
    const root = await tempDir();
    const dir = join(root, 'ckpt');
    const gone = tf.tensor1d([1]);
    gone.dispose();
    const good = tf.tensor1d([2]);
    await expect(new StandardCheckpointer().save(dir, { a: good, b: gone })).rejects.toThrow();
    expect(await readdir(root)).toEqual([]);
    // Overwriting: the previous checkpoint survives a failed forced save.
    await new StandardCheckpointer().save(dir, { a: good });
    await expect(new StandardCheckpointer().save(dir, { a: good, b: gone }, { force: true })).rejects.toThrow();
    expect(await readdir(root)).toEqual(['ckpt']);
    disposeAll(await new StandardCheckpointer().restore(dir));
    good.dispose();
  });

  it('ignores a directory without the commit marker (an interrupted non-atomic copy)', async () => {
    const root = await tempDir();
    const dir = join(root, 'ckpt');
    await new StandardCheckpointer().save(dir, { a: tf.tensor1d([1]) });
    const { rm } = await import('node:fs/promises');
    await rm(join(dir, CHECKPOINT_FILES.commit));
    await expect(new StandardCheckpointer().restore(dir)).rejects.toThrow(CheckpointNotFoundError);
    await expect(new StandardCheckpointer().restore(dir)).rejects.toThrow(/commit_success\.txt is missing/);
  });

  it('throws CheckpointNotFoundError for a missing directory', async () => {
    const missing = join(await tempDir(), 'nope');
    await expect(new StandardCheckpointer().restore(missing)).rejects.toThrow(CheckpointNotFoundError);
    await expect(new StandardCheckpointer().restore(missing)).rejects.toThrow(/No checkpoint directory at .*nope/);
  });

  it('throws CheckpointFormatError for truncated data, corrupt metadata and a data/metadata disagreement', async () => {
    const root = await tempDir();
    const dir = join(root, 'ckpt');
    const state = makeState();
    await new StandardCheckpointer().save(dir, state);
    const dataFile = join(dir, CHECKPOINT_FILES.data);
    const size = (await stat(dataFile)).size;
    const original = await readFile(dataFile);

    await truncate(dataFile, size - 3);
    await expect(new StandardCheckpointer().restore(dir)).rejects.toThrow(CheckpointFormatError);
    await expect(new StandardCheckpointer().restore(dir)).rejects.toThrow(/model\.safetensors: tensor .* beyond the .*-byte data buffer/);
    await truncate(dataFile, 20);
    await expect(new StandardCheckpointer().restore(dir)).rejects.toThrow(/model\.safetensors: header length \d+ runs past the end of the file \(20 bytes/);

    await writeFile(dataFile, original);
    const metaFile = join(dir, CHECKPOINT_FILES.metadata);
    const meta = await readFile(metaFile, 'utf8');
    await writeFile(metaFile, meta.slice(0, 40));
    await expect(new StandardCheckpointer().restore(dir)).rejects.toThrow(/checkpoint_metadata\.json: expected JSON metadata/);
    await writeFile(metaFile, meta.replace('"linear.kernel"', '"linear.kernelX"'));
    await expect(new StandardCheckpointer().restore(dir)).rejects.toThrow(/model\.safetensors: missing tensor 'linear\.kernelX' for linear\.kernel/);
    await writeFile(metaFile, JSON.stringify({ format: 'other' }));
    await expect(new StandardCheckpointer().restore(dir)).rejects.toThrow(CheckpointFormatError);
    disposeAll(state);
  });

  it('checks every path, shape and dtype against the target, naming path, expected and actual', async () => {
    const dir = join(await tempDir(), 'ckpt');
    await new StandardCheckpointer().save(dir, new State({ enc: new State({ layers: [new State({ kernel: new Param(tf.zeros([2, 3])) })] }) }));
    const target = (kernel: ShapeDtype, extra?: object): State =>
      new State({ enc: new State({ layers: [new State({ kernel: new Param(kernel), ...extra })] }) });
    const restore = (t: State): Promise<State> => new StandardCheckpointer().restore(dir, t);
    await expect(restore(target(new ShapeDtype([3, 2], 'float32')))).rejects.toThrow(CheckpointMismatchError);
    await expect(restore(target(new ShapeDtype([3, 2], 'float32')))).rejects.toThrow(
      'enc.layers[0].kernel: expected float32[3, 2] from the target, checkpoint has float32[2, 3].',
    );
    await expect(restore(target(new ShapeDtype([2, 3], 'int32')))).rejects.toThrow(/expected int32\[2, 3\] from the target, checkpoint has float32\[2, 3\]/);
    await expect(restore(target(new ShapeDtype([2, 3], 'float32'), { bias: new Param(new ShapeDtype([3], 'float32')) }))).rejects.toThrow(
      'enc.layers[0].bias: expected float32[3] from the target, but the checkpoint has no such path.',
    );
    await expect(restore(new State({ enc: new State({}) }))).rejects.toThrow('The checkpoint has paths the target lacks: enc.layers[0].kernel.');
    const ok = await restore(target(new ShapeDtype([2, 3], 'float32')));
    expect(Array.isArray(ok.enc.layers)).toBe(true);
    expect(await valuesOf(ok.enc.layers[0].kernel.value)).toEqual({ dtype: 'float32', shape: [2, 3], values: [0, 0, 0, 0, 0, 0] });
    disposeAll(ok);
  });

  it('rejects values it cannot store, naming the path', async () => {
    const dir = join(await tempDir(), 'ckpt');
    await expect(new StandardCheckpointer().save(dir, { a: { b: 3 } })).rejects.toThrow(/a\.b: cannot checkpoint number/);
    await expect(new StandardCheckpointer().save(dir, { w: new Param(new ShapeDtype([2], 'float32')) })).rejects.toThrow(/w: cannot save an abstract value/);
    await mkdir(dir, { recursive: true });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('StandardCheckpointer with lazy values', () => {
  it('computes lazy values when saving, but never runs a lazy target initializer on restore', async () => {
    const { lazy } = await import('@nnx-ts/module');
    const dir = join(await tempDir(), 'ckpt');
    let saveInits = 0;
    const state = new State({ w: new Param(lazy([2], 'float32', () => (saveInits++, tf.tensor1d([3, 4])))) });
    await new StandardCheckpointer().save(dir, state);
    expect(saveInits).toBe(1);
    let targetInits = 0;
    const target = new State({ w: new Param(lazy([2], 'float32', () => (targetInits++, tf.zeros([2])))) });
    const restored = await new StandardCheckpointer().restore(dir, target);
    expect(targetInits).toBe(0);
    expect(await valuesOf(restored.w.value)).toEqual({ dtype: 'float32', shape: [2], values: [3, 4] });
    disposeAll([state, restored]);
  });
});
