import { BatchStat, Param, ShapeDtype, State } from '@nnx-ts/module';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { StandardCheckpointer } from '../src/index.js';
import { tempDir } from './helpers.js';

// The README example, with its printed values asserted.
it('README example', async () => {
  const dir = join(await tempDir(), 'step_1');
  const state = new State({
    linear: new State({ kernel: new Param(tf.ones([2, 3])), bias: new Param(tf.zeros([3])) }),
    bn: new State({ mean: new BatchStat(tf.zeros([3])) }),
  });
  const ckpt = new StandardCheckpointer();
  await ckpt.save(dir, state, { force: true });

  const abstract = new State({
    linear: new State({ kernel: new Param(new ShapeDtype([2, 3], 'float32')), bias: new Param(new ShapeDtype([3], 'float32')) }),
    bn: new State({ mean: new BatchStat(new ShapeDtype([3], 'float32')) }),
  });
  const restored = await ckpt.restore(dir, abstract);
  expect(restored.linear.kernel instanceof Param).toBe(true);
  expect((restored.linear.kernel.value as tf.Tensor).shape).toEqual([2, 3]);
  expect([...(await (restored.linear.kernel.value as tf.Tensor).data())]).toEqual([1, 1, 1, 1, 1, 1]);

  const raw = await ckpt.restore(dir);
  expect(Object.keys(raw)).toEqual(['bn', 'linear']);
  tf.dispose([raw.bn.mean, raw.linear.kernel, raw.linear.bias]);
  tf.dispose([restored.linear.kernel.value, restored.linear.bias.value, restored.bn.mean.value]);
  tf.dispose([state.linear.kernel.value, state.linear.bias.value, state.bn.mean.value]);
});
