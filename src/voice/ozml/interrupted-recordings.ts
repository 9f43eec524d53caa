/**
 * Recordings a stop or crash cut short. The media worker writes a recording to `<name>.wav.part` as it comes and
 * writes the header and renames it when the recording ends (recording-file.ts); a node killed mid-call leaves the
 * `.part`, its audio up to the last second written and no header. At start, before any call, each one is finished as
 * the worker would have: its header written for the audio it holds and the file renamed, so the caller's message is
 * kept and listed (the console's Recordings) like any other. The recordings folder is the node's own (docs/cluster.md),
 * so nothing else can be writing these files.
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, readdirSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../shared/log.js';
import { SAMPLE_RATE } from '../media/audio-clip.js';
import { pcmWavHeader, WAV_HEADER_BYTES } from '../media/recording-file.js';
import { isRecordingName } from './recording.js';

/** Finish every `.part` recording in `dir`; returns the names of the recordings finished. */
export function finishInterruptedRecordings(dir: string, log: Logger): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no recordings folder yet
  }
  const finished: string[] = [];
  for (const name of names) {
    const recording = name.slice(0, -'.part'.length);
    if (!name.endsWith('.wav.part') || !isRecordingName(recording)) continue;
    try {
      const samples = finishPart(join(dir, name));
      renameSync(join(dir, name), join(dir, recording));
      finished.push(recording);
      log.warn({ file: recording, seconds: Number((samples / SAMPLE_RATE).toFixed(1)) }, 'a recording cut short by a stop or crash was finished');
    } catch (err) {
      log.warn({ err, file: name }, 'a recording cut short by a stop or crash could not be finished');
    }
  }
  return finished;
}

/** Writes the header for the whole samples the file holds (a torn last write's odd byte is dropped); returns them. */
function finishPart(path: string): number {
  const samples = Math.max(0, Math.floor((statSync(path).size - WAV_HEADER_BYTES) / 2));
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, WAV_HEADER_BYTES + samples * 2);
    writeSync(fd, pcmWavHeader(samples), 0, WAV_HEADER_BYTES, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return samples;
}
