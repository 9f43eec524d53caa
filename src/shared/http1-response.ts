/**
 * Reads HTTP/1.1 responses off a client connection, whose bodies the reader does not keep: only each response's
 * status, where it ends and whether the connection may carry the next request (RFC 9112). The callback sender needs
 * no more, and node:http's client, for all it does besides, cost three times the CPU a callback (decision 0129).
 *
 * Fed the connection's bytes as they come; `done` is called once for each complete final response. A response the
 * reader cannot frame safely throws a ResponseFramingError, and the connection must then be closed.
 */

/** The longest response head read (status line and header fields), as node:http's default. */
const MAX_HEAD_BYTES = 16 * 1024;

/** The longest chunk-size line, extensions included. */
const MAX_CHUNK_LINE_BYTES = 1024;

export class ResponseFramingError extends Error {}

export interface CompleteResponse {
  status: number;
  /** The server lets the connection carry another request (RFC 9112 §9.3). */
  keepAlive: boolean;
  /**
   * How long the server says it keeps an idle connection (`Keep-Alive: timeout=`, RFC 2068 §19.7.1.1), less a second
   * so that a request never races its close — as node's Agent does; undefined: it does not say.
   */
  keepAliveMs?: number;
}

type Body =
  | { kind: 'length'; remaining: number }
  | { kind: 'chunked'; state: 'size' | 'data' | 'data-end' | 'trailer'; remaining: number; line: string }
  | { kind: 'until-close' };

export class ResponseReader {
  private head = '';
  private body: Body | null = null;
  private response: CompleteResponse | null = null;

  constructor(private readonly done: (response: CompleteResponse) => void) {}

  /** The status of the response being read, once its head has come. */
  get status(): number | null {
    return this.response?.status ?? null;
  }

  /** Nothing of a response has come since the last complete one. */
  get idle(): boolean {
    return this.head.length === 0 && this.response === null;
  }

  feed(chunk: Buffer): void {
    let data = chunk.toString('latin1');
    while (data.length > 0) data = this.body ? this.readBody(data) : this.readHead(data);
  }

  /** The connection closed: a body delimited by the close ends here (RFC 9112 §6.3 item 8); anything else was cut off. */
  closed(): void {
    if (this.body?.kind === 'until-close' && this.response) this.complete();
  }

  private readHead(data: string): string {
    const before = this.head.length;
    this.head += data;
    // A blank line may be split across reads: look from where the previous read ended, less three bytes.
    const end = this.head.indexOf('\r\n\r\n', Math.max(0, before - 3));
    if (end < 0) {
      if (this.head.length > MAX_HEAD_BYTES) throw new ResponseFramingError(`a response head longer than ${MAX_HEAD_BYTES} bytes`);
      return '';
    }
    if (end > MAX_HEAD_BYTES) throw new ResponseFramingError(`a response head longer than ${MAX_HEAD_BYTES} bytes`);
    const rest = this.head.slice(end + 4);
    const lines = this.head.slice(0, end).split('\r\n');
    this.head = '';
    this.startResponse(lines);
    return rest;
  }

  private startResponse([statusLine = '', ...fieldLines]: string[]): void {
    // RFC 9112 §4: HTTP-version SP status-code SP [ reason-phrase ]
    const match = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: |$)/.exec(statusLine);
    if (!match) throw new ResponseFramingError(`not an HTTP/1.x status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
    const minor = Number(match[1]);
    const status = Number(match[2]);
    const fields = headerFields(fieldLines);
    if (status < 200) {
      // An interim response (100 Continue, 103 Early Hints); the final one follows. A 101 would switch protocols,
      // which no request of ours asks for.
      if (status === 101) throw new ResponseFramingError('101 Switching Protocols, which was not asked for');
      return;
    }
    const connection = fields.get('connection') ?? [];
    const tokens = connection.flatMap((value) =>
      value
        .toLowerCase()
        .split(',')
        .map((token) => token.trim()),
    );
    this.response = { status, keepAlive: minor === 1 ? !tokens.includes('close') : tokens.includes('keep-alive') };
    const announced = /(?:^|[\s,])timeout=(\d+)/i.exec(fields.get('keep-alive')?.join(',') ?? '');
    if (announced) this.response.keepAliveMs = Math.max(0, Number(announced[1]) * 1000 - 1000);
    // RFC 9112 §6.3: how the body's length is determined, in this order.
    if (status === 204 || status === 304) return this.complete();
    const transferCodings = fields.get('transfer-encoding');
    const lengths = fields.get('content-length');
    if (transferCodings) {
      const codings = transferCodings.flatMap((value) =>
        value
          .toLowerCase()
          .split(',')
          .map((coding) => coding.trim()),
      );
      // Both fields: possibly a smuggling attempt; read by Transfer-Encoding and close the connection after (item 3).
      if (lengths) this.response.keepAlive = false;
      if (codings[codings.length - 1] === 'chunked') this.body = { kind: 'chunked', state: 'size', remaining: 0, line: '' };
      else this.untilClose(); // item 4: a response's last coding not chunked ends with the connection
      return;
    }
    if (lengths) {
      const values = new Set(lengths.flatMap((value) => value.split(',').map((length) => length.trim())));
      const [only] = values;
      // Item 5: a list of one value repeated is that value; anything else cannot be framed.
      if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
        throw new ResponseFramingError(`an invalid Content-Length: ${JSON.stringify(lengths.join(', ').slice(0, 80))}`);
      }
      const length = Number(only);
      if (length === 0) return this.complete();
      this.body = { kind: 'length', remaining: length };
      return;
    }
    this.untilClose(); // item 8
  }

  private untilClose(): void {
    this.body = { kind: 'until-close' };
    if (this.response) this.response.keepAlive = false;
  }

  private readBody(data: string): string {
    const body = this.body!;
    if (body.kind === 'until-close') return '';
    if (body.kind === 'length') {
      if (data.length < body.remaining) {
        body.remaining -= data.length;
        return '';
      }
      const rest = data.slice(body.remaining);
      this.complete();
      return rest;
    }
    return this.readChunked(body, data);
  }

  /** RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF, chunk-data CRLF, …, last-chunk, trailer section, CRLF. */
  private readChunked(body: Extract<Body, { kind: 'chunked' }>, data: string): string {
    let at = 0;
    while (at < data.length) {
      if (body.state === 'data') {
        const take = Math.min(body.remaining, data.length - at);
        body.remaining -= take;
        at += take;
        if (body.remaining === 0) {
          body.state = 'data-end';
          body.remaining = 2; // its CRLF
        }
        continue;
      }
      if (body.state === 'data-end') {
        const take = Math.min(body.remaining, data.length - at);
        const expected = '\r\n'.slice(2 - body.remaining, 2 - body.remaining + take);
        if (data.slice(at, at + take) !== expected) throw new ResponseFramingError('a chunk not followed by CRLF');
        body.remaining -= take;
        at += take;
        if (body.remaining === 0) body.state = 'size';
        continue;
      }
      const lineEnd = data.indexOf('\n', at);
      if (lineEnd < 0) {
        body.line += data.slice(at);
        if (body.line.length > MAX_CHUNK_LINE_BYTES) throw new ResponseFramingError('a chunk-size or trailer line too long');
        return '';
      }
      const line = (body.line + data.slice(at, lineEnd)).replace(/\r$/, '');
      body.line = '';
      at = lineEnd + 1;
      if (line.length > MAX_CHUNK_LINE_BYTES) throw new ResponseFramingError('a chunk-size or trailer line too long');
      if (body.state === 'trailer') {
        if (line.length === 0) {
          this.complete();
          return data.slice(at);
        }
        continue; // a trailer field, not kept
      }
      const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
      if (!size) throw new ResponseFramingError(`an invalid chunk size: ${JSON.stringify(line.slice(0, 40))}`);
      body.remaining = parseInt(size[1]!, 16);
      body.state = body.remaining === 0 ? 'trailer' : 'data';
    }
    return '';
  }

  private complete(): void {
    const response = this.response!;
    this.response = null;
    this.body = null;
    this.done(response);
  }
}

/** Header fields by lower-cased name, each with its values in order (RFC 9110 §5.3). */
function headerFields(lines: string[]): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const line of lines) {
    // RFC 9112 §5.2: obsolete line folding continues the previous field; a user agent replaces it with a space.
    // None of the three fields read here is folded in practice, so a folded line is only skipped.
    if (line.startsWith(' ') || line.startsWith('\t')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ResponseFramingError(`an invalid header field line: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).toLowerCase();
    if (/\s/.test(name)) throw new ResponseFramingError(`whitespace in a header field name: ${JSON.stringify(name.slice(0, 40))}`);
    const value = line.slice(colon + 1).trim();
    const values = fields.get(name);
    if (values) values.push(value);
    else fields.set(name, [value]);
  }
  return fields;
}
