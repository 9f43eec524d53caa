/**
 * The pacer against a carrier simulated in virtual time: a sliding-second
 * limit, a few milliseconds to answer, a window of ten. What a user notices
 * is the rate that gets through and how long the bind stays paused.
 */
import { describe, expect, it } from 'vitest';
import { CarrierPacer } from '../../../../../src/sms/connectors/smpp/carrier-pacer.js';

interface CarrierRun {
  accepted: number[];
  throttled: number;
  slowdowns: number;
  episodesStarted: number;
  episodesEnded: number;
  pacer: CarrierPacer;
}

/** Drive a pacer for `seconds` against a carrier that takes `limit` per sliding second. */
function runAgainstCarrier(options: { mps: number; limit: (t: number) => number; seconds: number; latencyMs?: number; window?: number }): CarrierRun {
  const pacer = new CarrierPacer({ mps: options.mps, backoff: { initialMs: 200, maxMs: 5000 } });
  const latency = options.latencyMs ?? 3;
  const window = options.window ?? 10;
  const carrierWindow: number[] = [];
  const answers: Array<{ at: number; ticket: number; ok: boolean }> = [];
  const run: CarrierRun = { accepted: [], throttled: 0, slowdowns: 0, episodesStarted: 0, episodesEnded: 0, pacer };
  for (let t = 0; t < options.seconds * 1000; t++) {
    for (let i = 0; i < answers.length;) {
      const answer = answers[i]!;
      if (answer.at > t) {
        i++;
        continue;
      }
      answers.splice(i, 1);
      if (answer.ok) {
        run.accepted.push(t);
        if (pacer.accepted(answer.ticket, t)) run.episodesEnded++;
      } else {
        run.throttled++;
        const outcome = pacer.throttled(answer.ticket, t);
        if (outcome.kind === 'started') run.episodesStarted++;
        if (outcome.kind !== 'known') run.slowdowns++;
      }
    }
    while (answers.length < window && pacer.waitMs(t) === 0) {
      const ticket = pacer.sent(t);
      while (carrierWindow.length > 0 && carrierWindow[0]! <= t - 1000) carrierWindow.shift();
      const ok = carrierWindow.length < options.limit(t);
      if (ok) carrierWindow.push(t);
      answers.push({ at: t + latency, ticket, ok });
    }
  }
  return run;
}

function acceptedBetween(run: CarrierRun, fromS: number, toS: number): number {
  return run.accepted.filter((t) => t >= fromS * 1000 && t < toS * 1000).length;
}

describe('carrier pacer', () => {
  it('with mps equal to the carrier limit, sends it all from the first second on: evenly spaced, never refused', () => {
    const run = runAgainstCarrier({ mps: 50, limit: () => 50, seconds: 10 });
    expect(run.throttled).toBe(0);
    expect(acceptedBetween(run, 0, 1)).toBe(50);
    expect(acceptedBetween(run, 0, 10)).toBeGreaterThanOrEqual(495);
    const gaps = run.accepted.slice(1).map((t, i) => t - run.accepted[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(19);
  });

  it('without mps, learns a 50 msg/s carrier and sustains at least 90 % of it', () => {
    const run = runAgainstCarrier({ mps: 0, limit: () => 50, seconds: 120 });
    const steady = acceptedBetween(run, 20, 120) / 100;
    expect(steady).toBeGreaterThanOrEqual(45);
    expect(steady).toBeLessThanOrEqual(50);
    // It probes above the limit now and then (an episode each), slowly: a handful in two minutes, not one per second.
    expect(run.episodesStarted).toBeGreaterThanOrEqual(1);
    expect(run.episodesStarted).toBeLessThanOrEqual(6);
    expect(run.throttled).toBeLessThan(100);
  });

  it('with mps set too high, settles at 90 % or more of what the carrier really takes', () => {
    const run = runAgainstCarrier({ mps: 200, limit: () => 50, seconds: 120 });
    expect(acceptedBetween(run, 20, 120) / 100).toBeGreaterThanOrEqual(45);
  });

  it('slows once for a whole window of refusals, pausing the initial back-off and not the maximum', () => {
    const pacer = new CarrierPacer({ mps: 0, backoff: { initialMs: 200, maxMs: 5000 } });
    const tickets = Array.from({ length: 10 }, () => pacer.sent(0));
    const outcomes = tickets.map((ticket) => pacer.throttled(ticket, 5));
    expect(outcomes.map((o) => o.kind)).toEqual(['started', ...Array(9).fill('known')]);
    expect(pacer.waitMs(5)).toBe(200);
  });

  it('pauses longer only while the slowed rate is still refused, and forgets that once one is accepted', () => {
    const pacer = new CarrierPacer({ mps: 0, backoff: { initialMs: 200, maxMs: 5000 } });
    pacer.throttled(pacer.sent(0), 1);
    expect(pacer.waitMs(1)).toBe(200);
    // Refused again after the pause, with nothing taken meanwhile: no rate to learn, a longer pause.
    pacer.throttled(pacer.sent(201), 202);
    expect(pacer.waitMs(202)).toBe(400);
    expect(pacer.rate).toBe(Infinity);
    for (let t = 1001; t < 1021; t++) pacer.accepted(pacer.sent(t), t);
    const ticket = pacer.sent(1021);
    pacer.throttled(ticket, 1022);
    // The carrier took twenty in the last second and refused the next: 95 % of that, and one gap at that rate.
    expect(pacer.rate).toBeCloseTo(19, 5);
    expect(pacer.waitMs(1022)).toBeCloseTo(1000 / 19, 5);
    // Refused again at the slowed rate: now it pauses, starting from the initial back-off.
    pacer.throttled(pacer.sent(1100), 1101);
    expect(pacer.waitMs(1101)).toBe(200);
  });

  it('ends an episode after ten quiet seconds, once, and climbs back to mps', () => {
    const run = runAgainstCarrier({ mps: 50, limit: (t) => (t < 5000 ? 20 : 1000), seconds: 90 });
    expect(run.episodesStarted).toBe(1);
    expect(run.episodesEnded).toBe(1);
    expect(run.pacer.episode).toBeNull();
    expect(run.pacer.rate).toBe(50);
    expect(acceptedBetween(run, 80, 90)).toBeGreaterThanOrEqual(495);
  });
});
