/**
 * The dial plan: ordered rules on recipient and sender (prefix or regex) that
 * name connectors in order of preference. The first matching rule decides;
 * within it the first connector whose bind is up takes the message, so a
 * down bind fails over to the next one. No matching rule at all is the
 * caller's "no route" (Ozeki 501).
 */
import type { RouteConfig } from '../config/schema.js';

export interface RouteTarget {
  isUp(): boolean;
}

export interface CompiledMatcher {
  prefixes: string[] | null;
  regex: RegExp | null;
}

interface CompiledRoute {
  name: string;
  recipient: CompiledMatcher | null;
  sender: CompiledMatcher | null;
  connectors: readonly string[];
}

/** '+36 30…', '0036…' and '36…' compare equal: drop spaces, '+' and a leading '00'. */
export function canonicalNumber(value: string): string {
  return value
    .replace(/[\s\-().]/g, '')
    .replace(/^\+/, '')
    .replace(/^00/, '');
}

/** A rule's number matcher, ready to test (the dial plan's and the inbound routes' alike). */
export function compileMatcher(matcher: RouteConfig['recipient']): CompiledMatcher | null {
  if (!matcher) return null;
  const prefixes = matcher.prefix === undefined ? null : (Array.isArray(matcher.prefix) ? matcher.prefix : [matcher.prefix]).map(canonicalNumber);
  return { prefixes, regex: matcher.regex ? new RegExp(matcher.regex) : null };
}

export function matchesNumber(matcher: CompiledMatcher | null, value: string): boolean {
  if (!matcher) return true;
  if (matcher.prefixes && !matcher.prefixes.some((p) => canonicalNumber(value).startsWith(p))) return false;
  if (matcher.regex && !matcher.regex.test(value)) return false;
  return true;
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: readonly RouteConfig[]) {
    this.routes = routes.map((route, index) => ({
      name: route.name ?? `routes[${index}]`,
      recipient: compileMatcher(route.recipient),
      sender: compileMatcher(route.sender),
      connectors: route.connectors,
    }));
  }

  /** Connector ids for this message in order of preference; empty when no rule matches. */
  candidates(sender: string, recipient: string): readonly string[] {
    for (const route of this.routes) {
      if (matchesNumber(route.recipient, recipient) && matchesNumber(route.sender, sender)) return route.connectors;
    }
    return [];
  }

  hasRoute(sender: string, recipient: string): boolean {
    return this.candidates(sender, recipient).length > 0;
  }

  /**
   * The first candidate whose bind is up, or null when every one is down. In a cluster, `upElsewhere` says which
   * connectors are up on another node: a candidate that is up only there stops the search (null), so the message
   * goes to that node instead of this node's less preferred connector (a carrier bind another node holds, a
   * modem plugged into another machine).
   */
  pick<T extends RouteTarget>(sender: string, recipient: string, connectors: ReadonlyMap<string, T>, upElsewhere?: (id: string) => boolean): T | null {
    for (const id of this.candidates(sender, recipient)) {
      const connector = connectors.get(id);
      if (connector?.isUp()) return connector;
      if (upElsewhere?.(id)) return null;
    }
    return null;
  }
}
