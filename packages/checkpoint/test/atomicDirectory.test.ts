import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMIT_MARKER, writeDirectoryAtomically } from '../src/atomicDirectory.js';
import { tempDir } from './helpers.js';

describe('writeDirectoryAtomically', () => {
  it('while files are being written, the final path holds nothing or the previous complete directory', async () => {
    const root = await tempDir();
    const final = join(root, 'ckpt');
    await writeDirectoryAtomically(final, async (writeFile) => {
      // A crash here would leave only the temporary sibling.
      expect(await readdir(root)).toEqual([expect.stringMatching(/^ckpt\.nnx-ts-tmp-[0-9a-f]{12}$/)]);
      await writeFile('a.txt', 'old');
      await writeFile('b.txt', 'old');
    });
    expect((await readdir(final)).sort()).toEqual(['a.txt', 'b.txt', COMMIT_MARKER]);

    await writeDirectoryAtomically(final, async (writeFile) => {
      await writeFile('a.txt', 'new');
      // Halfway through the new save, the old checkpoint is still whole at the final path.
      expect(await readFile(join(final, 'a.txt'), 'utf8')).toBe('old');
      expect(await readFile(join(final, 'b.txt'), 'utf8')).toBe('old');
      await writeFile('b.txt', 'new');
    });
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
      }),
    ).rejects.toThrow('disk full');
    expect(await readdir(root)).toEqual([]);
  });
});
