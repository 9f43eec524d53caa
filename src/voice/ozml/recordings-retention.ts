/**
 * Recordings past `retention.recordingsDays`: the finished ones (`*.wav`; a `.part` is still being written, or is
 * finished at the next start) in the recordings folder whose file was last written before the cut-off. Whatever the
 * app named them (MoveFile), they are the folder's; anything else there is left alone.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Deletes the finished recordings in `dir` last written before `before` (ms since the epoch); resolves with how many. */
export async function pruneRecordings(dir: string, before: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0; // no recording yet
  }
  let deleted = 0;
  for (const name of names) {
    if (!name.endsWith('.wav')) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => null);
    if (!info?.isFile() || info.mtimeMs >= before) continue;
    await rm(path, { force: true });
    deleted++;
  }
  return deleted;
}
