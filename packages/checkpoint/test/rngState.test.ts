import '@tensorflow/tfjs-backend-cpu';
import { merge, split, state } from '@nnx-ts/module';
import { HostUint32Array, KeyArray, Rngs } from '@nnx-ts/rng';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StandardCheckpointer } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('RNG state in checkpoints', () => {
  it('saves keys and counts as U32 with the key type, and restores them as KeyArray / HostUint32Array', async () => {
    const rngs = new Rngs({ params: 0, dropout: 1 });
    rngs.dropout.call();
    const stacked = new Rngs({ noise: 3 }).fork({ split: 4 });
    const dir = join(await tempDir(), 'rngs');
    const ckpt = new StandardCheckpointer();
    await ckpt.save(dir, state({ rngs, stacked }));

    const meta = await ckpt.metadata(dir);
    const keyRecord = meta.leaves.find((r) => r.path.join('/') === 'rngs/dropout/key')!;
    expect(keyRecord.dtype).toBe('key<fry>');
    expect(keyRecord.host).toBe(true);

    const raw = (await ckpt.restore(dir)) as any;
    expect(raw.rngs.dropout.key).toBeInstanceOf(KeyArray);
    expect(raw.rngs.dropout.count).toBeInstanceOf(HostUint32Array);
    expect(Array.from(raw.rngs.dropout.count.data)).toEqual([1]);
    expect(raw.stacked.noise.key.shape).toEqual([4]);
    expect(Array.from(raw.stacked.noise.key.data)).toEqual(Array.from(stacked.noise.key.value.data));

    // Restoring into a target and merging continues the streams exactly where they were.
    const [graphdef, target] = split(new Rngs({ params: 9, dropout: 9 }));
    const restored = await ckpt.restore(dir, state({ rngs, stacked }));
    const again = merge(graphdef, (restored as any).rngs) as Rngs;
    expect(again.dropout.key.value).toBeInstanceOf(KeyArray);
    expect(Array.from(again.dropout.call().data)).toEqual(Array.from(rngs.dropout.call().data));
    expect(Array.from(again.params.call().data)).toEqual(Array.from(rngs.params.call().data));
    expect(target).toBeDefined();
  });
});
