/** UCS-2 as SMS carries it: UTF-16 big-endian; surrogate pairs stay two units (3GPP TS 23.038 §6.2.3). */

export function encodeUcs2(text: string): Buffer {
  const out = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return out;
}

/** An odd trailing octet (a truncated unit) is ignored. */
export function decodeUcs2(buf: Buffer): string {
  let out = '';
  for (let i = 0; i + 1 < buf.length; i += 2) out += String.fromCharCode(buf.readUInt16BE(i));
  return out;
}
