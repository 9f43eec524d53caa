/**
 * /metrics asked for in a loop must not take the main thread: renderings are rationed to RENDERS_PER_SECOND a second,
 * one at a time; a scraper or an operator asking now and then always gets a fresh one.
 */
import { describe, expect, it } from 'vitest';
import { RENDERS_PER_SECOND, rationedRendering } from '../../../src/api/http/rationed-rendering.js';

function counter() {
  let clock = 0;
  let renders = 0;
  const render = rationedRendering(
    async () => `rendering ${++renders}`,
    () => clock,
  );
  return { render, advance: (ms: number) => (clock += ms), renders: () => renders };
}

describe('rationed /metrics rendering', () => {
  it('renders afresh for every request that comes now and then', async () => {
    const metrics = counter();
    for (let i = 1; i <= 30; i++) {
      expect(await metrics.render()).toBe(`rendering ${i}`);
      metrics.advance(15_000); // a Prometheus scrape interval
    }
  });

  it('gives a request loop the latest rendering once the burst is spent, and renders again as the ration refills', async () => {
    const metrics = counter();
    const answers = [];
    for (let i = 0; i < 1000; i++) answers.push(await metrics.render()); // a loop within one millisecond
    expect(metrics.renders()).toBe(RENDERS_PER_SECOND);
    expect(new Set(answers.slice(RENDERS_PER_SECOND))).toEqual(new Set([`rendering ${RENDERS_PER_SECOND}`]));
    metrics.advance(1000 / RENDERS_PER_SECOND);
    expect(await metrics.render()).toBe(`rendering ${RENDERS_PER_SECOND + 1}`);
    // A second of a flood costs RENDERS_PER_SECOND renderings, whatever the number of requests.
    for (let ms = 0; ms < 1000; ms += 1) {
      metrics.advance(1);
      for (let i = 0; i < 5; i++) await metrics.render();
    }
    expect(metrics.renders()).toBeLessThanOrEqual(2 * RENDERS_PER_SECOND + 1);
  });

  it('shares one rendering among requests that come while it runs, and a failed one is not kept', async () => {
    let renders = 0;
    let fail = true;
    const render = rationedRendering(async () => {
      renders++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (fail) throw new Error('collector failed');
      return `rendering ${renders}`;
    });
    const concurrent = await Promise.allSettled([render(), render(), render()]);
    expect(renders).toBe(1);
    expect(concurrent.every((answer) => answer.status === 'rejected')).toBe(true);
    fail = false;
    expect(await render()).toBe('rendering 2');
  });
});
