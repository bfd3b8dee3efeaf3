import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeDirectoryAtomically } from '../src/atomicDirectory.js';
import { tempDir } from './helpers.js';

// Each test replays one interleaving of two writers deterministically: a hook runs just before a chosen rename,
// standing in for what a concurrent writer did at that moment.
type RenameHook = (from: string, to: string) => Promise<void>;
let beforeRename: RenameHook | undefined;

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    rename: async (from: string, to: string) => {
      const hook = beforeRename;
      if (hook !== undefined) await hook(from, to);
      return actual.rename(from, to);
    },
  };
});

afterEach(() => {
  beforeRename = undefined;
});

const OVERWRITE = { overwrite: true, onExists: () => new Error('exists') };

async function committedDirectory(path: string, content: string): Promise<void> {
  await fs.mkdir(path);
  await fs.writeFile(join(path, 'x.txt'), content);
}

function once(when: (from: string, to: string) => boolean, act: () => Promise<void>): RenameHook {
  let done = false;
  return async (from, to) => {
    if (done || !when(from, to)) return;
    done = true;
    await act();
  };
}

const isCommit = (final: string) => (from: string, to: string) => from.includes('.nnx-ts-tmp-') && to === final;
const failWithEIO = () => Promise.reject(Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' }));

describe('writeDirectoryAtomically under concurrent writers', () => {
  it('commits when another writer moved the old checkpoint away between the check and the move aside', async () => {
    const root = await tempDir();
    const final = join(root, 'ckpt');
    await committedDirectory(final, 'old');
    beforeRename = once(
      (from) => from === final,
      () => fs.rename(final, join(root, 'other-writer-aside')),
    );
    await writeDirectoryAtomically(final, (w) => w('x.txt', 'mine'), OVERWRITE);
    expect(await fs.readFile(join(final, 'x.txt'), 'utf8')).toBe('mine');
    // The other writer removes its own aside directory; nothing of ours is left.
    expect((await fs.readdir(root)).sort()).toEqual(['ckpt', 'other-writer-aside']);
  });

  it('loses cleanly when another writer committed after our move aside', async () => {
    const root = await tempDir();
    const final = join(root, 'ckpt');
    await committedDirectory(final, 'old');
    beforeRename = once(isCommit(final), () => committedDirectory(final, 'theirs'));
    await expect(writeDirectoryAtomically(final, (w) => w('x.txt', 'mine'), OVERWRITE)).rejects.toMatchObject({
      code: expect.stringMatching(/^(ENOTEMPTY|EEXIST)$/),
    });
    expect(await fs.readFile(join(final, 'x.txt'), 'utf8')).toBe('theirs');
    expect(await fs.readdir(root)).toEqual(['ckpt']);
  });

  it('discards the moved-aside checkpoint when another writer committed while it was being restored', async () => {
    const root = await tempDir();
    const final = join(root, 'ckpt');
    await committedDirectory(final, 'old');
    const commitFails = once(isCommit(final), failWithEIO);
    const otherCommitsDuringRestore = once(
      (from, to) => from.includes('.nnx-ts-to-delete-') && to === final,
      () => committedDirectory(final, 'theirs'),
    );
    beforeRename = async (from, to) => {
      await commitFails(from, to);
      await otherCommitsDuringRestore(from, to);
    };
    await expect(writeDirectoryAtomically(final, (w) => w('x.txt', 'mine'), OVERWRITE)).rejects.toMatchObject({
      code: 'EIO',
    });
    expect(await fs.readFile(join(final, 'x.txt'), 'utf8')).toBe('theirs');
    expect(await fs.readdir(root)).toEqual(['ckpt']);
  });

  it('puts the old checkpoint back when the commit fails and nobody else wrote', async () => {
    const root = await tempDir();
    const final = join(root, 'ckpt');
    await committedDirectory(final, 'old');
    beforeRename = once(isCommit(final), failWithEIO);
    await expect(writeDirectoryAtomically(final, (w) => w('x.txt', 'mine'), OVERWRITE)).rejects.toMatchObject({
      code: 'EIO',
    });
    expect(await fs.readFile(join(final, 'x.txt'), 'utf8')).toBe('old');
    expect(await fs.readdir(root)).toEqual(['ckpt']);
  });
});
