/**
 * How call routes name the called numbers they take: exact ("1000"), a
 * "/regex/" on the called user part, or "*" for any call. Shared by OzML
 * script routes and IOVOX inbound call flows, so both read the same way.
 */
import { z } from 'zod';

export const calledNumberPattern = z
  .string()
  .min(1)
  .refine(
    (m) => {
      if (!isRegexPattern(m)) return true;
      try {
        new RegExp(m.slice(1, -1));
        return true;
      } catch {
        return false;
      }
    },
    { message: 'a /regex/ match must be a valid regular expression' },
  );

function isRegexPattern(match: string): boolean {
  return match.length > 2 && match.startsWith('/') && match.endsWith('/');
}

/** A test for the called number (the request URI's user part). */
export function calledNumberMatcher(match: string): (called: string) => boolean {
  if (match === '*') return () => true;
  if (isRegexPattern(match)) {
    const re = new RegExp(match.slice(1, -1));
    return (called) => re.test(called);
  }
  return (called) => called === match;
}
