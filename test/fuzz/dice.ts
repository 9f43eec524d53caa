/** Seeded randomness and byte damage shared by the fuzzers: the same seed gives the same run. */

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Dice {
  constructor(readonly random: () => number) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

export function damageBytes(bytes: Buffer, dice: Dice): Buffer {
  const out = Buffer.from(bytes);
  switch (dice.int(4)) {
    case 0: // flip a few bytes
      for (let i = 0; i < 1 + dice.int(8); i++) out[dice.int(out.length)] = dice.int(256);
      return out;
    case 1: // cut short
      return out.subarray(0, dice.int(out.length));
    case 2: {
      // random bytes spliced in
      const at = dice.int(out.length);
      return Buffer.concat([out.subarray(0, at), dice.bytes(1 + dice.int(64)), out.subarray(at)]);
    }
    default: // nothing that looks like SIP at all
      return dice.bytes(1 + dice.int(1500));
  }
}
