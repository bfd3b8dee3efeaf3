import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, Tensor } from '@tensorflow/tfjs-core';

type NamedGradientMap = ReturnType<GradConfig['gradFunc']>;
import { zeroGradient } from './broadcast.js';

function one(dy: Tensor | Tensor[]): Tensor {
  return Array.isArray(dy) ? (dy[0] as Tensor) : dy;
}

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/**
 * Gradients of the kernels that move, copy or select elements without arithmetic. (`tf.squeeze` dispatches `Reshape`
 * and `tf.broadcastTo` dispatches `Tile` in TF.js 4.22, so neither has a kernel of its own to register.)
 */
export const shapeGradients: GradConfig[] = [
  {
    kernelName: 'Reshape',
    inputsToSave: ['x'],
    gradFunc: (dy, s) => ({ x: () => tf.reshape(one(dy), (s[0] as Tensor).shape) }),
  },
  {
    kernelName: 'ExpandDims',
    inputsToSave: ['input'],
    gradFunc: (dy, s) => ({ input: () => tf.reshape(one(dy), (s[0] as Tensor).shape) }),
  },
  {
    kernelName: 'Transpose',
    gradFunc: (dy, _s, attrs) => {
      const perm = attrs['perm'] as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(one(dy), inverse) };
    },
  },
  {
    // Tiling repeats the input `reps[i]` times along axis i: output index r * size + j reads input j, so viewing
    // axis i as [reps, size] and summing the reps axes gives the gradient.
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dy, s, attrs) => {
      const x = s[0] as Tensor;
      const reps = attrs['reps'] as number[];
      return {
        x: () => {
          const split = x.shape.flatMap((size, i) => [reps[i] as number, size]);
          const repAxes = x.shape.map((_, i) => 2 * i);
          return tf.reshape(tf.sum(tf.reshape(one(dy), split), repAxes), x.shape);
        },
      };
    },
  },
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, s, attrs) => {
      const x = s[0] as Tensor;
      const g = one(dy);
      const begin = attrs['begin'] as number[] | number;
      const starts = x.shape.map((_, i) => (Array.isArray(begin) ? (begin[i] ?? 0) : i === 0 ? begin : 0));
      const paddings = x.shape.map((size, i): [number, number] => [starts[i] as number, size - (starts[i] as number) - (g.shape[i] as number)]);
      return { x: () => tf.pad(g, paddings) };
    },
  },
  {
    kernelName: 'PadV2',
    inputsToSave: ['x'],
    gradFunc: (dy, s, attrs) => {
      const x = s[0] as Tensor;
      const paddings = attrs['paddings'] as Array<[number, number]>;
      return { x: () => tf.slice(one(dy), paddings.map((p) => p[0]), x.shape) };
    },
  },
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, s, attrs) => {
      const g = one(dy);
      const axis = normalizeAxis(attrs['axis'] as number, g.rank);
      const sizes = s.map((t) => t.shape[axis] as number);
      const parts = tf.split(g, sizes, axis);
      return parts.map((part) => () => part) as unknown as NamedGradientMap;
    },
  },
  {
    kernelName: 'Pack',
    saveAllInputs: true,
    gradFunc: (dy, s, attrs) => {
      const g = one(dy);
      const parts = tf.unstack(g, normalizeAxis(attrs['axis'] as number, g.rank));
      return s.map((_, i) => () => parts[i] as Tensor) as unknown as NamedGradientMap;
    },
  },
  {
    // Multi-output kernel: outputs nobody used arrive as null and count as zero.
    kernelName: 'Unpack',
    gradFunc: (dy, _s, attrs) => {
      const parts = dy as Array<Tensor | null>;
      const template = parts.find((p): p is Tensor => p !== null) as Tensor;
      const filled = parts.map((p) => p ?? tf.zerosLike(template));
      return { value: () => tf.stack(filled, attrs['axis'] as number) };
    },
  },
  {
    kernelName: 'SplitV',
    gradFunc: (dy, _s, attrs) => {
      const parts = dy as Tensor[];
      const axis = normalizeAxis(attrs['axis'] as number, (parts[0] as Tensor).rank);
      return { x: () => tf.concat(parts, axis) };
    },
  },
  {
    kernelName: 'AddN',
    saveAllInputs: true,
    gradFunc: (dy, s) => s.map(() => () => tf.clone(one(dy))) as unknown as NamedGradientMap,
  },
  {
    // out[pre, i..., post] = x[pre, indices[i...], post]; the gradient scatters-adds dy rows back to their index. The
    // scatter is a one-hot matrix product, which every backend (cpu, wasm, webgpu) implements.
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, s, attrs) => {
      const x = s[0] as Tensor;
      const indices = s[1] as Tensor;
      const axis = normalizeAxis(attrs['axis'] as number, x.rank);
      const g = one(dy);
      return {
        x: () => {
          const pre = x.shape.slice(0, axis);
          const post = x.shape.slice(axis + 1);
          const idxRank = indices.rank;
          // dy axes: [pre..., idx..., post...] → [idx..., pre..., post...]
          const perm = [
            ...Array.from({ length: idxRank }, (_, i) => pre.length + i),
            ...pre.map((_, i) => i),
            ...post.map((_, i) => pre.length + idxRank + i),
          ];
          const rows = tf.reshape(tf.transpose(g, perm), [indices.size, -1]);
          const scatter = tf.oneHot(tf.reshape(tf.cast(indices, 'int32'), [-1]), x.shape[axis] as number, 1, 0, 'float32');
          const summed = tf.matMul(tf.transpose(scatter), rows);
          const moved = tf.reshape(summed, [x.shape[axis] as number, ...pre, ...post]);
          const back = [...pre.map((_, i) => i + 1), 0, ...post.map((_, i) => pre.length + 1 + i)];
          return tf.transpose(moved, back);
        },
        indices: zeroGradient(indices),
      };
    },
  },
];
