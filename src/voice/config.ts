/**
 * The `voice:` section of the config: which SIP engine, where it listens,
 * who may call, registrations on a PBX, the RTP port range, TTS and prompts.
 */
import { z } from 'zod';
import { ozmlConfigShape } from './ozml/config.js';
import { trunksSchema } from './trunks.js';
import { cidr } from '../config/cidr.js';

/** A disk cache's size in bytes (disk-cache.ts): past it the least recently used file is deleted; 0 keeps nothing. */
const cacheCap = z
  .number()
  .int()
  .min(0)
  .default(256 * 1024 * 1024);

const sipUri = z.string().regex(/^sips?:[^\s]+$/i, { message: 'expected a SIP URI such as sip:pbx.example.com:5060' });

export const registrationSchema = z
  .object({
    /** The PBX or registrar: sip:host[:port][;transport=tcp]. */
    registrar: sipUri,
    /** Address of record; defaults to sip:<username>@<registrar host>. */
    aor: sipUri.nullable().default(null),
    username: z.string().min(1),
    password: z.string(),
    expiresSeconds: z.number().int().min(30).max(86_400).default(300),
  })
  .strict();

/** Who may send SIP to the node, by source address (IP or CIDR); empty allows all. Either engine's. */
const sipAllowList = z.array(cidr).default([]);

/** Digest authentication of INVITEs (RFC 3261 §22.4) and its guessing limits; null: none asked. Either engine's. */
const sipDigestAuth = z
  .object({
    realm: z.string().min(1),
    users: z.array(z.object({ username: z.string().min(1), password: z.string().min(1) }).strict()).min(1),
    /**
     * Password guessing: failed digests (wrong password, unknown user) one source address may send within
     * the window; past it the source gets 403 without a challenge for the lock-out. Sources only, never a
     * user: locking the PBX's user would let anyone keep its calls out.
     */
    guessing: z
      .object({
        maxFailuresPerSource: z.number().int().min(1).default(10),
        windowSeconds: z.number().int().min(1).default(300),
        lockoutSeconds: z.number().int().min(1).default(300),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .nullable()
  .default(null);

export const voiceConfigSchema = z
  .object({
    /** Answer calls at all. */
    enabled: z.boolean().default(true),
    /**
     * Calls in progress at once, incoming and placed together. Past it an incoming call gets 503 and a call placed
     * fails (SIP 503): an INVITE flood meets this limit, not the node's memory. The RTP range allows ~5,000.
     */
    maxCalls: z.number().int().min(1).default(2000),
    /**
     * Incoming calls in progress at once from one source address (an IPv6 /64); null: no cap but maxCalls. A PBX
     * trunk is one source: set it above the trunk's busiest hour, or leave it off where only the PBX may call.
     */
    maxCallsPerSource: z.number().int().min(1).nullable().default(null),
    /** builtin: the node's own SIP stack (no other server needed); drachtio: a drachtio-server in front. */
    engine: z.enum(['builtin', 'drachtio']).default('builtin'),
    builtin: z
      .object({
        host: z.string().default('127.0.0.1'),
        /** 0 picks a free port (tests). */
        port: z.number().int().min(0).max(65535).default(5060),
        /** The address peers should reach us at, written into Via/Contact (NAT, 0.0.0.0 binds). */
        publicAddress: z.string().nullable().default(null),
        transports: z
          .array(z.enum(['udp', 'tcp']))
          .min(1)
          .default(['udp', 'tcp']),
        /** User part of our Contact. */
        contactUser: z.string().min(1).default('telenode'),
        /** Source addresses (IP or CIDR) allowed to send us SIP; empty allows all. */
        allow: sipAllowList,
        /** Require digest authentication of INVITEs. */
        auth: sipDigestAuth,
        /** Register with a PBX as an extension. */
        registrations: z.array(registrationSchema).default([]),
        /** SIP over TCP: connections held at once (all peers, and per source address); idle ones close. */
        tcp: z
          .object({
            maxConnections: z.number().int().min(1).default(1000),
            maxConnectionsPerSource: z.number().int().min(1).default(50),
            idleTimeoutSeconds: z.number().int().min(1).default(60),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    drachtio: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(1).max(65535).default(9022),
        secret: z.string().default('cymru'),
        /** Our Contact/From host for outbound calls through drachtio (defaults to its SIP address). */
        contactUser: z.string().min(1).default('telenode'),
        /**
         * Source addresses (IP or CIDR) whose INVITEs the node takes; empty allows all. drachtio-server reports each
         * request's transport source, and refused ones get 403.
         */
        allow: sipAllowList,
        /** Require digest authentication of INVITEs, checked by the node as with the built-in engine. */
        auth: sipDigestAuth,
      })
      .strict()
      .prefault({}),
    rtp: z
      .object({
        /** Where RTP sockets bind. */
        host: z.string().default('127.0.0.1'),
        /** The address written into our SDP (defaults to host). */
        publicAddress: z.string().nullable().default(null),
        portMin: z.number().int().min(1024).max(65534).default(20000),
        portMax: z.number().int().min(1025).max(65535).default(29999),
        /**
         * Scheduling priority (nice, Linux: per thread) the media worker asks for, so its 5 ms ticks
         * win the CPU over SIP, HTTP and SQLite work. Negative values need root, CAP_SYS_NICE or
         * RLIMIT_NICE (systemd LimitNICE=); without them the worker runs at normal priority and says so.
         */
        workerNice: z.number().int().min(-20).max(19).default(-10),
        /**
         * Whose RTP a call takes. call-hosts: only from the host in the caller's SDP or the host its SIP came
         * from (a caller behind NAT), latched to the first such packet's address and port; a stranger's packets
         * (its audio, its RFC 4733 digits) are dropped. any-host: the first packet from anywhere latches and every
         * packet is heard, for peers whose media leaves from a third host; it lets anyone who reaches the RTP ports
         * take a call's audio and key in its digits.
         */
        acceptFrom: z.enum(['call-hosts', 'any-host']).default('call-hosts'),
      })
      .strict()
      .prefault({})
      .refine((rtp) => rtp.portMax > rtp.portMin, { message: 'portMax must be above portMin', path: ['portMax'] }),
    tts: z
      .object({
        /** argv template; {textFile}, {text}, {voice}, {out} are substituted; the command writes a WAV to {out}. */
        command: z.array(z.string().min(1)).min(1).default(['espeak-ng', '-v', '{voice}', '-w', '{out}', '-f', '{textFile}']),
        defaultVoice: z.string().min(1).default('en-us'),
        /** Speak's Language, Voice or "Language/Voice" → the command's voice name. */
        voices: z.record(z.string(), z.string()).default({
          'en-US': 'en-us',
          'en-GB': 'en-gb',
          'en-US/female': 'en-us+f3',
          'en-GB/female': 'en-gb+f3',
          'de-DE': 'de',
          'fr-FR': 'fr',
          'es-ES': 'es',
          'it-IT': 'it',
          'hu-HU': 'hu',
          tts_uk_eng_male: 'en-gb',
          tts_uk_eng_female: 'en-gb+f3',
          tts_us_eng_male: 'en-us',
          tts_us_eng_female: 'en-us+f3',
        }),
        /** Default: <store dir>/cache/tts. */
        cacheDir: z.string().nullable().default(null),
        /**
         * The speech cache's size on disk; past it the least recently used is deleted. A text that differs on
         * every call (an amount, a code) is a file a call: without a cap the disk the store is on fills up. 0 keeps
         * nothing on disk.
         */
        cacheMaxBytes: cacheCap,
        /**
         * TTS commands running at once; a burst of calls with texts of their own waits its turn instead of forking a
         * process each. null: one per core (os.availableParallelism()).
         */
        maxProcesses: z.number().int().min(1).nullable().default(null),
        /** One command's run. */
        timeoutMs: z.number().int().min(100).default(15_000),
      })
      .strict()
      .prefault({}),
    prompts: z
      .object({
        /** Relative Play file names resolve here. */
        baseDir: z.string().default('.'),
        /** Default: <store dir>/cache/prompts. */
        cacheDir: z.string().nullable().default(null),
        /** Downloaded prompts kept on disk; past it the least recently used is deleted (a caller's variable in a URL is a file a call). 0 keeps nothing. */
        cacheMaxBytes: cacheCap,
        fetchTimeoutMs: z.number().int().min(100).default(10_000),
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(20 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    /** SIP peers that outbound calls to phone numbers go through (trunks.ts): Ozeki's Call command and IOVOX failover links name one by id. */
    trunks: trunksSchema.default([]),
    /** What a call hears when no OzML routes are configured (run as a built-in script). */
    greeting: z.string().min(1).default('Hello. This is telenode. No call script is configured yet. Goodbye.'),
    ...ozmlConfigShape,
  })
  .strict()
  .superRefine((voice, ctx) => {
    const trunk = voice.outbound.trunk;
    if (trunk !== null && !voice.trunks.some((t) => t.id === trunk)) {
      const known = voice.trunks.length ? voice.trunks.map((t) => `'${t.id}'`).join(', ') : 'voice.trunks is empty';
      ctx.addIssue({ code: 'custom', path: ['outbound', 'trunk'], message: `no trunk '${trunk}' in voice.trunks (${known})` });
    }
  });

export type VoiceConfig = z.infer<typeof voiceConfigSchema>;
