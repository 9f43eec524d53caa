/**
 * undici, loaded on first use, and only the parts telenode calls: its Agent
 * (keep-alive pools with timeouts), its `request` API and its connector.
 *
 * Its modules are heap on every thread that loads them, and the main thread
 * needs them only for OzML app requests, prompt downloads and in-process
 * callbacks: a node that only sends SMS (its callbacks go from the sender
 * thread) never loads them there (issue 18). undici's index also loads fetch,
 * WebSocket, EventSource, its caches and mocks, and — because fetch reads the
 * global `Headers` while loading — Node's own bundled copy of undici as well:
 * 4.5 MiB of live heap on the sender thread, against 1.6 for the parts below
 * (a worker, after full collections; bench/RESULTS.md, "Issue 18, session 23").
 *
 * The parts are undici's own files (`lib/`; the package has no exports map),
 * joined as its index joins them (`Object.assign(Dispatcher.prototype, api)`).
 * Should a release move them, the index is loaded instead: same behaviour,
 * more memory (test/unit/shared/undici.test.ts then fails).
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

export interface UndiciParts {
  Agent: typeof Undici.Agent;
  buildConnector: typeof Undici.buildConnector;
  /** undici's top-level `request(url, options)`: the options' dispatcher, else undici's global one. */
  request: (url: string | URL, options?: RequestOptions) => Promise<Undici.Dispatcher.ResponseData>;
}

type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> &
  Partial<Pick<Undici.Dispatcher.RequestOptions, 'method'>> & { dispatcher?: Undici.Dispatcher };

let loaded: UndiciParts | null = null;

export function undici(): UndiciParts {
  return (loaded ??= loadParts());
}

function loadParts(): UndiciParts {
  const require = createRequire(import.meta.url);
  try {
    const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as typeof Undici.Dispatcher;
    const Agent = require('undici/lib/dispatcher/agent.js') as typeof Undici.Agent;
    const api = require('undici/lib/api/index.js') as object;
    const buildConnector = require('undici/lib/core/connect.js') as typeof Undici.buildConnector;
    const { getGlobalDispatcher } = require('undici/lib/global.js') as { getGlobalDispatcher: () => Undici.Dispatcher };
    if (typeof Agent !== 'function' || typeof buildConnector !== 'function' || !('request' in api)) throw new Error('undici moved its parts');
    Object.assign(Dispatcher.prototype, api);
    return {
      Agent,
      buildConnector,
      request: (url, options = {}) => {
        const target = typeof url === 'string' ? new URL(url) : url;
        const { dispatcher = getGlobalDispatcher(), ...rest } = options;
        return dispatcher.request({
          ...rest,
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method: options.method ?? (options.body ? 'PUT' : 'GET'),
        });
      },
    };
  } catch {
    const whole = require('undici') as typeof Undici;
    return { Agent: whole.Agent, buildConnector: whole.buildConnector, request: (url, options) => whole.request(url, options) };
  }
}
