/**
 * Trunks: where outbound calls to phone numbers go. A trunk is a SIP peer
 * (an ITSP, a PBX, a gateway) that takes `sip:<number>@<its host>` INVITEs,
 * with the credentials it challenges for. Kept to the least a caller of
 * `CallService.dial()` needs; whoever places calls by trunk id (IOVOX
 * failover links today) resolves it here.
 */
import { z } from 'zod';

export const trunkSchema = z
  .object({
    /** What failover links (and later call scripts) name. */
    id: z.string().trim().min(1).max(64),
    /** The peer without a user part: sip:host[:port][;transport=tcp]. */
    uri: z.string().regex(/^sips?:[^@\s;]+(;[^\s]*)?$/i, { message: 'expected a SIP URI without a user part, such as sip:trunk.example.com:5060' }),
    /** Digest credentials, used when the trunk challenges the INVITE. */
    auth: z
      .object({ username: z.string().min(1), password: z.string() })
      .strict()
      .nullable()
      .default(null),
  })
  .strict();

export const trunksSchema = z.array(trunkSchema).superRefine((trunks, ctx) => {
  const ids = new Set<string>();
  trunks.forEach((trunk, index) => {
    if (ids.has(trunk.id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate trunk id '${trunk.id}'` });
    ids.add(trunk.id);
  });
});

export type TrunkConfig = z.infer<typeof trunkSchema>;

/** The request URI that calls `number` through `trunk`: its user part is the number as stored (E.164 with +). */
export function trunkTarget(trunk: TrunkConfig, number: string): string {
  const [scheme, rest] = [trunk.uri.slice(0, trunk.uri.indexOf(':') + 1), trunk.uri.slice(trunk.uri.indexOf(':') + 1)];
  return `${scheme}${encodeURIComponent(number).replace(/%2B/gi, '+')}@${rest}`;
}
