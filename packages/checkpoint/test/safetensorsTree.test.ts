import { isHostArray, Param } from '@nnx-ts/module';
import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, decodeSafetensors, decodeSafetensorsTree, encodeSafetensors, encodeSafetensorsTree, StoredHostArray } from '../src/index.js';
import { FIXTURES } from './helpers.js';

interface Expected {
  dtype: string;
  shape: number[];
  values: number[];
}

async function leafValues(x: unknown): Promise<unknown> {
  if (x instanceof tf.Tensor) return { dtype: x.dtype, shape: x.shape, values: [...(await x.data())] };
  if (isHostArray(x)) return { dtype: x.dtype, shape: x.shape, values: [...x.data] };
  throw new Error(`not a leaf: ${String(x)}`);
}

describe('decodeSafetensorsTree', () => {
  it('reads the Flax file as a nested pure dict, with the typed RNG key as a key array', async () => {
    const bytes = new Uint8Array(await readFile(new URL('flax_flat.safetensors', FIXTURES)));
    const expected = JSON.parse(await readFile(new URL('expected_nnx_state.json', FIXTURES), 'utf8')) as Record<string, Expected>;
    const tree = decodeSafetensorsTree(bytes, 'flax_flat.safetensors');
    expect(Object.keys(tree).sort()).toEqual(['bn', 'counter', 'dropout', 'layers', 'linear']);
    for (const [path, want] of Object.entries(expected)) {
      let node: unknown = tree;
      for (const part of path.split('/')) node = (node as Record<string, unknown>)[part];
      expect(await leafValues(node), path).toEqual({ dtype: want.dtype, shape: want.shape, values: want.values });
    }
    tf.dispose([tree.bn.bias, tree.bn.mean, tree.bn.scale, tree.bn.var, tree.counter, tree.layers[0].kernel, tree.linear.bias, tree.linear.kernel]);
  });

  it('round-trips a tree through encodeSafetensorsTree, key arrays included', async () => {
    const tree = {
      linear: { kernel: new Param(tf.tensor2d([[1, 2]])) },
      layers: [{ w: tf.tensor1d([5], 'int32') }],
      rngs: { key: new StoredHostArray([2], 'key<fry>', new Uint32Array([1, 2, 3, 4])), count: new StoredHostArray([], 'uint32', new Uint32Array([7])) },
    };
    const bytes = await encodeSafetensorsTree(tree, { format: 'flax' });
    expect(decodeSafetensors(bytes).metadata).toEqual({ format: 'flax', 'rngs.key': 'threefry2x32' });
    const back = decodeSafetensorsTree(bytes);
    expect(await leafValues(back.linear.kernel)).toEqual({ dtype: 'float32', shape: [1, 2], values: [1, 2] });
    expect(await leafValues(back.layers['0'].w)).toEqual({ dtype: 'int32', shape: [1], values: [5] });
    expect(await leafValues(back.rngs.key)).toEqual({ dtype: 'key<fry>', shape: [2], values: [1, 2, 3, 4] });
    expect(await leafValues(back.rngs.count)).toEqual({ dtype: 'uint32', shape: [], values: [7] });
    tf.dispose([tree.linear.kernel.value, tree.layers[0]!.w, back.linear.kernel, back.layers['0'].w]);
  });

  it("records JAX's implementation names for rbg and unsafe_rbg keys and maps them back to key<rbg>/key<urbg>", async () => {
    const words = new Uint32Array([1, 2, 3, 4]);
    const tree = { a: new StoredHostArray([], 'key<rbg>', words), b: new StoredHostArray([], 'key<urbg>', words) };
    const bytes = await encodeSafetensorsTree(tree);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ a: 'rbg', b: 'unsafe_rbg' });
    expect(tensors.get('a')!.shape).toEqual([4]);
    const back = decodeSafetensorsTree(bytes);
    expect(await leafValues(back.a)).toEqual({ dtype: 'key<rbg>', shape: [], values: [1, 2, 3, 4] });
    expect(await leafValues(back.b)).toEqual({ dtype: 'key<urbg>', shape: [], values: [1, 2, 3, 4] });
  });

  it('rejects a name that is both a tensor and a prefix', () => {
    const f32 = { dtype: 'F32' as const, shape: [], data: new Uint8Array(4) };
    expect(() => decodeSafetensorsTree(encodeSafetensors({ a: f32, 'a.b': f32 }), 'x.safetensors')).toThrow(CheckpointFormatError);
    expect(() => decodeSafetensorsTree(encodeSafetensors({ a: f32, 'a.b': f32 }), 'x.safetensors')).toThrow(/'a' is both a tensor and a prefix of 'a.b'/);
  });
});
