import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Name of the marker written last inside a committed checkpoint (as Orbax does). */
export const COMMIT_MARKER = 'commit_success.txt';

/** Writes `bytes` to `path` and fsyncs the file before closing it. */
export async function writeFileSynced(path: string, bytes: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs a directory so renames and new entries in it are durable; Windows cannot open directories, so skip there. */
export async function syncDirectory(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** True when `path` exists (any kind of entry). */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/**
 * Writes a directory atomically: `write` fills a temporary sibling `<final>.nnx-ts-tmp-<random>`, every file is
 * fsynced, the commit marker is written last, then the temporary directory is renamed to `final`. With `overwrite`,
 * an existing `final` is first renamed aside to `<final>.nnx-ts-to-delete-<random>` and removed only after the new
 * directory is in place, so at no moment does `final` hold a partial checkpoint; without it, a `final` that exists
 * at commit time makes the call throw the error `onExists` builds. On any failure the temporary
 * directory is removed (and a directory moved aside is put back) before the error is rethrown. Concurrent
 * overwriting writers leave exactly one complete directory and no temporary ones: each either commits or fails with
 * the rename's `ENOTEMPTY`/`EEXIST`.
 */
export async function writeDirectoryAtomically(
  final: string,
  write: (writeFile: (name: string, bytes: Uint8Array | string) => Promise<void>) => Promise<void>,
  options: { overwrite: boolean; onExists: () => Error },
): Promise<void> {
  const parent = dirname(final);
  await mkdir(parent, { recursive: true });
  const suffix = randomBytes(6).toString('hex');
  const tmp = join(parent, `${basename(final)}.nnx-ts-tmp-${suffix}`);
  await mkdir(tmp);
  let aside: string | undefined;
  try {
    await write((name, bytes) => writeFileSynced(join(tmp, name), bytes));
    await writeFileSynced(join(tmp, COMMIT_MARKER), `committed ${new Date().toISOString()}\n`);
    await syncDirectory(tmp);
    if (await exists(final)) {
      if (!options.overwrite) throw options.onExists();
      aside = await moveAside(final, join(parent, `${basename(final)}.nnx-ts-to-delete-${suffix}`));
    }
    await rename(tmp, final);
  } catch (e) {
    try {
      if (aside !== undefined) await restoreOrDiscard(aside, final);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    throw e;
  }
  await syncDirectory(parent);
  if (aside !== undefined) await rm(aside, { recursive: true, force: true });
}

/** Renames `final` to `aside`; undefined when a concurrent writer already moved `final` away. */
async function moveAside(final: string, aside: string): Promise<string | undefined> {
  try {
    await rename(final, aside);
    return aside;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * After a failed commit, puts the checkpoint moved aside back at `final` — unless a concurrent writer's complete
 * directory took its place meanwhile (also between the check and the rename), in which case it is superseded.
 */
async function restoreOrDiscard(aside: string, final: string): Promise<void> {
  if (!(await exists(final))) {
    try {
      await rename(aside, final);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    }
  }
  await rm(aside, { recursive: true, force: true });
}
