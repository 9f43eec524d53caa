import { z } from 'zod';
import { calledNumberPattern } from '../voice/route-match.js';

/** A c2c failover link: the call placed when an SMS sent with c2c_failover_link_id ends FAILED or EXPIRED. */
export const failoverLinkSchema = z
  .object({
    /** What clients send in <c2c_failover_link_id>. */
    id: z.string().trim().min(1).max(64),
    /** An IOVOX <callFlow> document, read and checked at start-up; $sms_origin and $content hold the SMS. */
    callFlowFile: z.string().min(1),
    /** Caller id presented on the failover call. */
    callerId: z.string().min(1),
    /** Which SIP trunk places the call (the voice runtime's trunk id). */
    trunk: z.string().min(1).default('default'),
    /** Values for the flow's `?` attributes, by rule id then attribute name ($sms_origin and $content may be used in message). */
    bindings: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  })
  .strict();

/** An inbound call flow: calls to a matching number run this IOVOX <callFlow> instead of an OzML route. */
export const inboundCallFlowSchema = z
  .object({
    /** The called number: exact ("442079460000"), "/regex/" on the called user part, or "*" for any call. */
    match: calledNumberPattern,
    /** The <callFlow> document, read and checked at start-up. */
    callFlowFile: z.string().min(1).optional(),
    /**
     * Or the name of a flow `user` uploaded over the IOVOX API (createCallFlow), read when each call starts:
     * an update takes effect with the next call, and a flow not uploaded yet fails that call, not the daemon.
     */
    callFlow: z.string().min(1).optional(),
    /** The API user the flow's SMS are sent as (history, quotas, number control), and whose uploaded flows `callFlow` names. */
    user: z.string().min(1),
    /** Values for the flow's `?` attributes, by rule id then attribute name ($caller and $called may be used in message). */
    bindings: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  })
  .strict()
  .refine((entry) => (entry.callFlowFile === undefined) !== (entry.callFlow === undefined), {
    message: 'give either callFlowFile or callFlow (the name of an uploaded flow)',
  });

/** How failover calls are placed and retried (a busy or unreachable callee is called again later). */
export const failoverCallsSchema = z
  .object({
    /** Calls placed in all, the first included; then the failover is given up as `failed`. */
    maxAttempts: z.number().int().min(1).max(100).default(3),
    /** Wait before the 2nd attempt; doubles per attempt up to retryMaxMs. */
    retryInitialMs: z.number().int().min(100).default(60_000),
    retryMaxMs: z
      .number()
      .int()
      .min(100)
      .default(15 * 60_000),
    /** Give up ringing after this long (CANCEL); counts as an attempt. */
    ringTimeoutMs: z.number().int().min(1000).default(45_000),
    /** Failover calls in progress at once. */
    maxConcurrent: z.number().int().min(1).default(4),
  })
  .strict();

export const iovoxConfigSchema = z
  .object({
    /** What `$_partnerName` (the only allowed `from` of a sendSms rule) sends as; null: sms.defaultSender. */
    partnerName: z.string().min(1).nullable().default(null),
    /** false: call flows with a <sendSms> rule are refused ("You don't have access to this feature: sendSms"). */
    sendSmsRule: z.boolean().default(true),
    failoverLinks: z.array(failoverLinkSchema).default([]),
    /** Inbound calls that run IOVOX call flows; the first match wins, and calls no entry matches go to voice.routes. */
    callFlows: z.array(inboundCallFlowSchema).default([]),
    failoverCalls: failoverCallsSchema.prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const ids = new Set<string>();
    config.failoverLinks.forEach((link, index) => {
      if (ids.has(link.id)) ctx.addIssue({ code: 'custom', path: ['failoverLinks', index, 'id'], message: `duplicate failover link id '${link.id}'` });
      ids.add(link.id);
    });
  });

export type IovoxConfig = z.infer<typeof iovoxConfigSchema>;
export type FailoverLinkConfig = z.infer<typeof failoverLinkSchema>;
export type FailoverCallsConfig = z.infer<typeof failoverCallsSchema>;
export type InboundCallFlowConfig = z.infer<typeof inboundCallFlowSchema>;
