/**
 * Play's local files: only regular files inside voice.prompts.baseDir, read
 * asynchronously and capped; a caller's value in a path stays one segment.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioClip } from '../../../../src/voice/media/audio-clip.js';
import { PromptSource } from '../../../../src/voice/media/prompt-source.js';
import { encodeWav } from '../../../../src/voice/media/wav.js';
import { Scope, asPathSegment } from '../../../../src/voice/ozml/substitute.js';
import { tempDir } from '../../../helpers/temp-dir.js';

const dir = tempDir();
afterAll(() => dir.remove());
const base = join(dir.path, 'prompts');
const outside = join(dir.path, 'secret');
mkdirSync(join(base, 'greetings'), { recursive: true });
mkdirSync(outside, { recursive: true });
const wav = encodeWav(AudioClip.tone(440, 200).pcm);
writeFileSync(join(base, 'greetings', '100.wav'), wav);
writeFileSync(join(outside, 'private.wav'), wav);
symlinkSync(join(outside, 'private.wav'), join(base, 'greetings', 'link.wav'));
writeFileSync(join(base, 'big.wav'), Buffer.alloc(200_000));
execFileSync('mkfifo', [join(base, 'fifo.wav')]);

const prompts = new PromptSource({ cacheDir: join(dir.path, 'cache'), cacheMaxBytes: 100_000_000, baseDir: base, fetchTimeoutMs: 1000, maxBytes: 100_000 });

describe('PromptSource local files', () => {
  it('plays a file inside baseDir, by relative or absolute name', async () => {
    expect((await prompts.load('greetings/100.wav')).durationMs).toBe(200);
    expect((await prompts.load(join(base, 'greetings', '100.wav'))).durationMs).toBe(200);
  });

  it.each([
    ['a relative path that climbs out', '../secret/private.wav', /outside voice.prompts.baseDir/],
    ['an absolute path elsewhere', join(outside, 'private.wav'), /outside voice.prompts.baseDir/],
    ['a symlink inside that points outside', 'greetings/link.wav', /outside voice.prompts.baseDir/],
    ['a device', '/dev/zero', /outside voice.prompts.baseDir/],
    ['a FIFO (would block a reader forever)', 'fifo.wav', /not a regular file/],
    ['a file over maxBytes', 'big.wav', /larger than 100000 bytes/],
    ['the folder itself', '.', /outside voice.prompts.baseDir|not a regular file/],
  ])('refuses %s', async (_what, location, message) => {
    await expect(prompts.load(location)).rejects.toMatchObject({ code: 'TN_ERR_MEDIA_UNREADABLE', message: expect.stringMatching(message) });
  });
});

describe('PromptSource URLs', () => {
  it('gives up on a server that trickles the file, at fetchTimeoutMs for the whole download', async () => {
    const { createServer } = await import('node:http');
    // Headers at once, then 10 bytes every 50 ms: each read is quick, the whole would take 10 s.
    const trickling = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': '2000' });
      const drip = setInterval(() => res.write(Buffer.alloc(10)), 50);
      res.on('close', () => clearInterval(drip));
    });
    await new Promise<void>((resolve) => trickling.listen(0, '127.0.0.1', resolve));
    try {
      await expect(prompts.load(`http://127.0.0.1:${(trickling.address() as { port: number }).port}/slow.wav`)).rejects.toMatchObject({
        code: 'TN_ERR_MEDIA_FETCH_FAILED',
        message: expect.stringMatching(/not downloaded within 1000 ms/),
      });
    } finally {
      trickling.closeAllConnections();
      trickling.close();
    }
  });

  it("keeps its download cache under cacheMaxBytes when a caller's variable makes every URL new", async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const cacheDir = join(dir.path, 'capped-cache');
    const capped = new PromptSource({ cacheDir, cacheMaxBytes: 4 * wav.length, baseDir: base, fetchTimeoutMs: 5000, maxBytes: 100_000 });
    const port = (server.address() as { port: number }).port;
    const url = (caller: number) => `http://127.0.0.1:${port}/greeting.wav?caller=${caller}`;
    try {
      for (let caller = 0; caller < 20; caller++) expect((await capped.load(url(caller))).durationMs).toBe(200);
      expect(readdirSync(cacheDir).filter((name) => !name.startsWith('.'))).toHaveLength(4);
      // The newest are the ones kept: a repeat of the last caller's URL is not fetched again.
      server.close();
      expect(
        (await new PromptSource({ cacheDir, cacheMaxBytes: 4 * wav.length, baseDir: base, fetchTimeoutMs: 1000, maxBytes: 100_000 }).load(url(19))).durationMs,
      ).toBe(200);
    } finally {
      server.close();
    }
  });
});

describe('variables in a Play location', () => {
  const scope = new Scope();
  scope.set('Caller', '../../secret/private');

  it("keeps a caller's value one path segment", async () => {
    const location = scope.substituteLocation('greetings/$Caller.wav');
    expect(location).toBe('greetings/..%2F..%2Fsecret%2Fprivate.wav');
    await expect(prompts.load(location)).rejects.toMatchObject({ code: 'TN_ERR_MEDIA_UNREADABLE', message: expect.stringMatching(/no such file/) });
  });

  it('percent-encodes values in a URL', () => {
    scope.set('Number', '+1555 1&x=y/z');
    expect(scope.substituteLocation('http://app.example/prompt?n=$Number')).toBe('http://app.example/prompt?n=%2B1555%201%26x%3Dy%2Fz');
  });

  it('escapes separators, percent and control characters, and the dot names', () => {
    expect(asPathSegment('a/b\\c%d\u0000e')).toBe('a%2Fb%5Cc%25d%00e');
    expect(asPathSegment('..')).toBe('%2E%2E');
    expect(asPathSegment('+15551234')).toBe('+15551234');
  });
});
