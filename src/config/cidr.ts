import { isIP } from 'node:net';
import { z } from 'zod';

/** An IP address or a CIDR block (10.0.0.0/8, 2001:db8::/32), as config lists of networks take them. */
export const cidr = z.string().refine(
  (value) => {
    const [address, bits, extra] = value.split('/');
    if (extra !== undefined || !address || !isIP(address)) return false;
    if (bits === undefined) return true;
    const n = Number(bits);
    return Number.isInteger(n) && n >= 0 && n <= (isIP(address) === 4 ? 32 : 128);
  },
  { message: 'expected an IP address or CIDR such as 10.0.0.0/8' },
);
