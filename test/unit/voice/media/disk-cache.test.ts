import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskCache } from '../../../../src/voice/media/disk-cache.js';
import { tempDir } from '../../../helpers/temp-dir.js';

const root = tempDir();
afterAll(() => root.remove());
let folders = 0;
const folder = () => join(root.path, `cache-${++folders}`);
const kib = (n: number, fill = 1) => Buffer.alloc(n * 1024, fill);
const files = (dir: string) =>
  readdirSync(dir)
    .filter((name) => !name.startsWith('.'))
    .sort();

describe('DiskCache', () => {
  it('keeps the folder under its cap, deleting the least recently used first', () => {
    const dir = folder();
    const cache = new DiskCache(dir, 30 * 1024);
    cache.write('a.wav', kib(10, 1));
    cache.write('b.wav', kib(10, 2));
    cache.write('c.wav', kib(10, 3));
    expect(cache.read('a.wav')?.[0]).toBe(1); // a is now the most recently used
    cache.write('d.wav', kib(10, 4));
    expect(files(dir)).toEqual(['a.wav', 'c.wav', 'd.wav']);
    expect(cache.read('b.wav')).toBeNull();
    expect(cache.size).toBe(30 * 1024);
    // A thousand texts of their own, one a call: the folder stays at its cap.
    for (let i = 0; i < 1000; i++) cache.write(`call-${i}.wav`, kib(1));
    expect(files(dir)).toHaveLength(30);
    expect(cache.size).toBe(30 * 1024);
  });

  it('trims a folder left over the cap (a lowered cap, an older version) at start, oldest modified first', () => {
    const dir = folder();
    mkdirSync(join(dir, '.work'), { recursive: true });
    const at = (name: string, content: Buffer, secondsAgo: number) => {
      writeFileSync(join(dir, name), content);
      const when = new Date(Date.now() - secondsAgo * 1000);
      utimesSync(join(dir, name), when, when);
    };
    at('old.wav', kib(10), 3000);
    at('middle.wav', kib(10), 2000);
    at('new.wav', kib(10), 1000);
    at('crashed.wav.123.tmp', kib(10), 3600); // an interrupted write of a run long gone
    at('writing.wav.456.tmp', kib(10), 1); // someone's write in progress
    writeFileSync(join(dir, '.work', 'crashed.txt'), 'text of a crashed TTS run');
    utimesSync(join(dir, '.work', 'crashed.txt'), new Date(0), new Date(0));
    writeFileSync(join(dir, '.work', 'running.txt'), 'text of a TTS run in progress');
    const cache = new DiskCache(dir, 20 * 1024);
    expect(files(dir)).toEqual(['middle.wav', 'new.wav', 'writing.wav.456.tmp']);
    expect(readdirSync(join(dir, '.work'))).toEqual(['running.txt']);
    expect(cache.size).toBe(20 * 1024);
    // What it found is used in that order: middle is older than new, and goes first.
    cache.write('next.wav', kib(10));
    expect(files(dir)).toEqual(['new.wav', 'next.wav', 'writing.wav.456.tmp']);
  });

  it('remembers a hit across a restart: the file read is touched', () => {
    const dir = folder();
    const first = new DiskCache(dir, 20 * 1024);
    first.write('a.wav', kib(10));
    first.write('b.wav', kib(10));
    const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);
    utimesSync(join(dir, 'a.wav'), minutesAgo(2), minutesAgo(2));
    utimesSync(join(dir, 'b.wav'), minutesAgo(1), minutesAgo(1));
    expect(new DiskCache(dir, 20 * 1024).read('a.wav')).not.toBeNull(); // a, the older, is used again
    new DiskCache(dir, 20 * 1024).write('c.wav', kib(10));
    expect(files(dir)).toEqual(['a.wav', 'c.wav']);
  });

  it('keeps nothing on disk at a cap of 0, and a file over the cap is not kept', () => {
    const none = new DiskCache(folder(), 0);
    none.write('a.wav', kib(1));
    expect(files(none.dir)).toEqual([]);
    const small = new DiskCache(folder(), 5 * 1024);
    small.write('a.wav', kib(2));
    small.write('huge.wav', kib(6));
    expect(files(small.dir)).toEqual([]);
    expect(small.size).toBe(0);
  });

  it('forgets a file deleted behind its back, and refuses names that are paths', () => {
    const cache = new DiskCache(folder(), 20 * 1024);
    cache.write('a.wav', kib(10));
    rmSync(join(cache.dir, 'a.wav'));
    expect(cache.read('a.wav')).toBeNull();
    expect(cache.size).toBe(0);
    for (const name of ['../escape.wav', '.hidden', 'x/y.wav', 'a.wav.tmp', '']) expect(() => cache.write(name, kib(1)), name).toThrow(/not a cache file name/);
    expect(existsSync(join(root.path, 'escape.wav'))).toBe(false);
  });

  it('does not throw when it cannot write (a full disk, a folder gone): the caller still has its audio', () => {
    const dir = folder();
    const cache = new DiskCache(dir, 20 * 1024);
    expect(cache.write('a.wav', kib(1))).toBe(true);
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'a file where the folder was'); // every write below it now fails (ENOTDIR), even as root
    expect(cache.write('b.wav', kib(1))).toBe(false);
    expect(cache.read('b.wav')).toBeNull();
  });
});
