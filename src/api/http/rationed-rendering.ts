/**
 * `/metrics` needs no log-in (Prometheus scrapes it) and rendering it — every metric of the registry, Node's process
 * metrics among them, ~15 KB of text — costs the main thread about 1.4 ms, fifteen times what answering a request
 * otherwise does (0.09 ms for a 404; measured 2026-12-06). Asked for in a loop over four connections it was rendered
 * ~700 times a second: the whole main thread, and every message waited. So renderings are rationed: one at a time
 * (requests meanwhile share it) and at most RENDERS_PER_SECOND a second, with as many in a burst; a request beyond
 * that gets the latest rendering, made at most 1/RENDERS_PER_SECOND s before. A scraper (every 15 s) or an operator's
 * `curl` always gets a fresh one.
 */
export const RENDERS_PER_SECOND = 10;

export function rationedRendering(render: () => Promise<string>, now: () => number = Date.now): () => Promise<string> {
  let tokens = RENDERS_PER_SECOND;
  let refilledAt = now();
  let running: Promise<string> | null = null;
  let latest: string | null = null;
  return () => {
    if (running) return running;
    const at = now();
    tokens = Math.min(RENDERS_PER_SECOND, tokens + ((at - refilledAt) * RENDERS_PER_SECOND) / 1000);
    refilledAt = at;
    if (tokens < 1 && latest !== null) return Promise.resolve(latest);
    tokens = Math.max(0, tokens - 1);
    running = render().then(
      (text) => {
        running = null;
        latest = text;
        return text;
      },
      (err: unknown) => {
        running = null;
        throw err;
      },
    );
    return running;
  };
}
