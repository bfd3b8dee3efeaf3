import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMIT_MARKER, writeDirectoryAtomically } from '../src/atomicDirectory.js';
import { tempDir } from './helpers.js';

const OVERWRITE = { overwrite: true, onExists: () => new Error('exists') };

describe('writeDirectoryAtomically', () => {
  it('while files are being written, the final path holds nothing or the previous complete directory', async () => {
    const root = await tempDir();
    const final = join(root, 'ckpt');
    await writeDirectoryAtomically(final, async (writeFile) => {
      // A crash here would leave only the temporary sibling.
      expect(await readdir(root)).toEqual([expect.stringMatching(/^ckpt\.nnx-ts-tmp-[0-9a-f]{12}$/)]);
      await writeFile('a.txt', 'old');
      await writeFile('b.txt', 'old');
    }, OVERWRITE);
    expect((await readdir(final)).sort()).toEqual(['a.txt', 'b.txt', COMMIT_MARKER]);

    await writeDirectoryAtomically(final, async (writeFile) => {
      await writeFile('a.txt', 'new');
      // Halfway through the new save, the old checkpoint is still whole at the final path.
      expect(await readFile(join(final, 'a.txt'), 'utf8')).toBe('old');
      expect(await readFile(join(final, 'b.txt'), 'utf8')).toBe('old');
      await writeFile('b.txt', 'new');
    }, OVERWRITE);
    expect(await readFile(join(final, 'a.txt'), 'utf8')).toBe('new');
    expect(await readFile(join(final, 'b.txt'), 'utf8')).toBe('new');
    expect(await readdir(root)).toEqual(['ckpt']);
  });

  it('writes the commit marker last and removes the temporary directory on failure', async () => {
    const root = await tempDir();
    const final = join(root, 'ckpt');
    await expect(
      writeDirectoryAtomically(final, async (writeFile) => {
        await writeFile('a.txt', 'partial');
        throw new Error('disk full');
      }, OVERWRITE),
    ).rejects.toThrow('disk full');
    expect(await readdir(root)).toEqual([]);
  });

  it('without overwrite, a directory that appeared during the write wins and the temporary one is removed', async () => {
    const root = await tempDir();
    const final = join(root, 'ckpt');
    await expect(
      writeDirectoryAtomically(
        final,
        async (writeFile) => {
          await writeFile('a.txt', 'mine');
          await writeDirectoryAtomically(final, (w) => w('a.txt', 'theirs'), OVERWRITE);
        },
        { overwrite: false, onExists: () => new Error('already there') },
      ),
    ).rejects.toThrow('already there');
    expect(await readdir(root)).toEqual(['ckpt']);
    expect(await readFile(join(final, 'a.txt'), 'utf8')).toBe('theirs');
  });

  it('concurrent overwriting writers leave one complete directory and no leftovers (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      const root = await tempDir();
      const final = join(root, 'ckpt');
      const writers = ['a', 'b', 'c', 'd'].map((tag) =>
        writeDirectoryAtomically(
          final,
          async (w) => {
            await w('x.txt', tag);
            await w('y.txt', tag);
          },
          OVERWRITE,
        ).then(
          () => 'ok',
          (e: NodeJS.ErrnoException) => e.code,
        ),
      );
      const outcomes = await Promise.all(writers);
      expect(outcomes).toContain('ok');
      for (const o of outcomes) expect(['ok', 'ENOTEMPTY', 'EEXIST']).toContain(o);
      expect(await readdir(root)).toEqual(['ckpt']);
      const x = await readFile(join(final, 'x.txt'), 'utf8');
      expect(await readFile(join(final, 'y.txt'), 'utf8')).toBe(x);
      expect((await readdir(final)).sort()).toEqual([COMMIT_MARKER, 'x.txt', 'y.txt']);
    }
  });
});
