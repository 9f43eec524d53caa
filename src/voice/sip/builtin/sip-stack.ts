/**
 * Starts the `sip` package's transports and transactions on a configured
 * address. The package binds on its own and reports bind errors as uncaught
 * socket errors, so we first prove the port is free for UDP and TCP (and
 * choose one when the config says 0), and only then hand it over.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import * as sip from 'sip';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { RefusalLog } from '../../../shared/refusal-log.js';
import type { Logger } from '../../../shared/log.js';
import { sourceGroup } from '../../../shared/source-group.js';
import { fenceStack } from './fenced-stack.js';

export interface SipStackOptions {
  host: string;
  port: number;
  /** Address written into Via and Contact (defaults to host). */
  publicAddress: string | null;
  udp: boolean;
  tcp: boolean;
  tcpLimits: { maxConnections: number; maxConnectionsPerSource: number; idleTimeoutSeconds: number };
  log: Logger;
}

export interface StartedStack {
  stack: sip.Stack;
  port: number;
  contactHost: string;
}

export async function startSipStack(options: SipStackOptions, onRequest: (request: sip.SipRequest, remote: sip.Remote) => void): Promise<StartedStack> {
  const port = await claimPort(options.host, options.port, options);
  const contactHost = options.publicAddress ?? (options.host === '0.0.0.0' ? '127.0.0.1' : options.host);
  const refusals = new RefusalLog(options.log, 'SIP TCP connection refused: connection limit reached');
  const raw = sip.create(
    {
      address: options.host,
      port,
      publicAddress: contactHost,
      udp: options.udp,
      tcp: options.tcp,
      maxBytesHeaders: 16 * 1024,
      maxContentLength: 64 * 1024,
      tcpLimits: {
        total: options.tcpLimits.maxConnections,
        perSource: options.tcpLimits.maxConnectionsPerSource,
        sourceKey: sourceGroup,
        idleTimeoutMs: options.tcpLimits.idleTimeoutSeconds * 1000,
        onRefused: (source, open) => refusals.note(source, { open }),
      },
      logger: {
        error: (err) => options.log.warn({ err }, 'SIP stack error'),
      },
    },
    (request, remote) => {
      try {
        onRequest(request, remote);
      } catch (err) {
        // A bug or a message shape we did not foresee must cost one request, never the process.
        options.log.error({ err, method: request.method }, 'SIP request handler failed');
        if (request.method !== 'ACK') stack.send(sip.makeResponse(request, 500, 'Server Internal Error'));
      }
    },
  );
  // Everything above us sends through the fence: no peer-chosen value can make a send throw.
  const stack = fenceStack(raw, options.log);
  return { stack, port, contactHost };
}

async function claimPort(host: string, wanted: number, options: { udp: boolean; tcp: boolean }): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = wanted !== 0 ? wanted : await ephemeralUdpPort(host);
    try {
      if (options.udp) await probeUdp(host, port);
      if (options.tcp) await probeTcp(host, port);
      return port;
    } catch (err) {
      if (wanted !== 0) {
        throw new AppError(ErrorCode.SIP_START_FAILED, `cannot listen for SIP on ${host}:${port}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  throw new AppError(ErrorCode.SIP_START_FAILED, `no free port for SIP on ${host}`);
}

function ephemeralUdpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, host, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function probeUdp(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind(port, host, () => socket.close(() => resolve()));
  });
}

function probeTcp(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
