/**
 * Identifiers for the rows we mint (SmsId, inbound message ids, call ids):
 * UUIDv7 (RFC 9562) — still a GUID to every API client, but its first 48 bits
 * are the creation time in milliseconds. Keys that grow with time are
 * appended at the right edge of SQLite's B-trees; random v4 keys land on a
 * random page each, and every commit then rewrites hundreds of scattered
 * pages (decision 0098). The `uuid` package keeps ids monotonic within a
 * millisecond, so rows created together stay together.
 */
import { v7 } from 'uuid';

export function newId(): string {
  return v7();
}
