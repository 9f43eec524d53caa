import { describe, expect, it } from 'vitest';
import { ResponseFramingError, ResponseReader, type CompleteResponse } from '../../../src/shared/http1-response.js';

/** Feeds `text` in pieces of `size` bytes (1: every boundary a read can fall on) and returns the responses framed. */
function read(text: string, size = text.length, close = false): { responses: CompleteResponse[]; idle: boolean } {
  const responses: CompleteResponse[] = [];
  const reader = new ResponseReader((response) => responses.push(response));
  const bytes = Buffer.from(text, 'latin1');
  for (let at = 0; at < bytes.length; at += size) reader.feed(bytes.subarray(at, at + size));
  if (close) reader.closed();
  return { responses, idle: reader.idle };
}

const OK_WITH_LENGTH = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello';
const CHUNKED = 'HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1a\r\n' + 'x'.repeat(26) + '\r\n0\r\nX-Trailer: yes\r\n\r\n';

describe('reading HTTP/1.1 responses (RFC 9112)', () => {
  it('frames a body by Content-Length and by chunks, whichever byte a read ends on', () => {
    for (const size of [1, 2, 3, 7, 1000]) {
      expect(read(OK_WITH_LENGTH, size)).toEqual({ responses: [{ status: 200, keepAlive: true }], idle: true });
      expect(read(CHUNKED, size)).toEqual({ responses: [{ status: 202, keepAlive: true }], idle: true });
    }
  });

  it('reads responses one after another on the same connection, and skips interim ones', () => {
    const text = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n' + OK_WITH_LENGTH + 'HTTP/1.1 204 No Content\r\n\r\n' + CHUNKED;
    expect(read(text, 5).responses.map((r) => r.status)).toEqual([200, 204, 202]);
  });

  it('says when the server will not keep the connection', () => {
    expect(read('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').responses).toEqual([{ status: 200, keepAlive: false }]);
    expect(read('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').responses).toEqual([{ status: 200, keepAlive: false }]);
    expect(read('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n').responses).toEqual([{ status: 200, keepAlive: true }]);
    // Both framing fields: read by Transfer-Encoding, then the connection goes (§6.3 item 3).
    expect(read('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n').responses).toEqual([{ status: 200, keepAlive: false }]);
  });

  it('keeps how long the server keeps an idle connection, less a second', () => {
    expect(read('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n').responses).toEqual([
      { status: 200, keepAlive: true, keepAliveMs: 4000 },
    ]);
    expect(read('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 0\r\n\r\n').responses[0]?.keepAliveMs).toBe(0);
  });

  it('ends a body without a length only when the connection closes', () => {
    const text = 'HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nsomething broke';
    expect(read(text).responses).toEqual([]);
    expect(read(text, 4, true).responses).toEqual([{ status: 500, keepAlive: false }]);
  });

  it('refuses what it cannot frame safely', () => {
    const refused = (text: string) => expect(() => read(text, 3)).toThrow(ResponseFramingError);
    refused('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello');
    refused('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n');
    refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
    refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n');
    refused('SSH-2.0-OpenSSH_9.2\r\n\r\n');
    refused('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
    refused('HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n');
    refused('HTTP/1.1 200 OK\r\nX-Big: ' + 'a'.repeat(20_000) + '\r\n\r\n');
    refused('HTTP/1.1 200 OK\r\nX-Big: ' + 'a'.repeat(20_000)); // too long before its end even came
    // A list of one length repeated is that length (§6.3 item 5).
    expect(read('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok').responses).toEqual([{ status: 200, keepAlive: true }]);
  });
});
