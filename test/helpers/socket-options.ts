import type { Socket } from 'node:net';

/**
 * Whether Nagle's algorithm is off on `socket` (setNoDelay(true) was called). Node has no getter for it; it keeps
 * the setting in an own property under an internal symbol, which this reads.
 */
export function noDelayOf(socket: Socket): boolean {
  const key = Object.getOwnPropertySymbols(socket).find((symbol) => symbol.description === 'kSetNoDelay');
  if (key === undefined) throw new Error('this Node keeps no kSetNoDelay on its sockets: find another way to read TCP_NODELAY');
  return (socket as unknown as Record<symbol, boolean>)[key] === true;
}
