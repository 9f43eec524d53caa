/**
 * One SMPP session (src/sms/connectors/smpp/bind.ts) against a scripted SMSC
 * on loopback: a refused bind backs off and tries again, a submit resolves
 * with the carrier's id, a lost link fails what was in flight as retryable
 * and rebinds, a missing submit_sm_resp times out, and a throttling answer
 * slows the bind's pacer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BindState, SmppBind } from '../../../../../src/sms/connectors/smpp/bind.js';
import { smppConnectorSchema } from '../../../../../src/sms/connectors/smpp/config.js';
import { silentLogger } from '../../../../../src/shared/log.js';
import { ScriptedSmsc } from '../../../../support/scripted-smsc.js';
import { waitUntil } from '../../../../helpers/temp-dir.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(config: Record<string, unknown> = {}) {
  const smsc = new ScriptedSmsc();
  await smsc.start();
  const states: string[] = [];
  const throttles: string[] = [];
  const bind = new SmppBind(
    'b1',
    'transceiver',
    smppConnectorSchema.parse({
      id: 'c1',
      type: 'smpp',
      host: '127.0.0.1',
      port: smsc.port,
      systemId: 'tn',
      password: 'pw',
      reconnect: { initialMs: 20, maxMs: 50 },
      ...config,
    }),
    {
      onIncoming: async () => 0,
      onStateChange: (_bind, state) => void states.push(state),
      onReady: () => undefined,
      onThrottled: (_bind, outcome) => void throttles.push(outcome.kind),
    },
    silentLogger(),
  );
  cleanups.push(async () => {
    await bind.stop();
    await smsc.stop();
  });
  return { smsc, bind, states, throttles };
}

const submitFields = { source_addr: '3610', destination_addr: '3620', short_message: Buffer.from('hi'), data_coding: 0 };

describe('SMPP bind', () => {
  it('a refused bind waits and tries again, and is never taken for bound', async () => {
    const { smsc, bind, states } = await setup();
    smsc.bindStatus = 0x0e; // ESME_RINVPASWD
    bind.start();
    await waitUntil(() => smsc.connections >= 3, 5000, 'three attempts');
    expect(states).not.toContain(BindState.Bound);
    expect(bind.canSubmit).toBe(false);
    await expect(bind.submit(submitFields)).rejects.toMatchObject({ code: 'TN_ERR_CONNECTOR_DOWN', retryable: true });
  });

  it('a submit resolves with the message id the SMSC gave; the window counts what is unanswered', async () => {
    const { smsc, bind } = await setup();
    smsc.submitAnswers.push('silence', { messageId: 'ABC' });
    bind.start();
    await waitUntil(() => bind.state === BindState.Bound, 5000, 'bound');
    void bind.submit(submitFields).catch(() => undefined);
    const answered = bind.submit(submitFields);
    await expect(answered).resolves.toBe('ABC');
    expect(bind.windowInUse).toBe(1);
    expect(bind.freeWindow).toBe(9);
  });

  it('a lost link fails what was in flight as retryable, then binds again', async () => {
    const { smsc, bind } = await setup();
    smsc.submitAnswers.push('silence');
    bind.start();
    await waitUntil(() => bind.state === BindState.Bound, 5000, 'bound');
    const inFlight = bind.submit(submitFields);
    await waitUntil(() => smsc.submits === 1, 5000, 'the submit at the SMSC');
    smsc.dropConnections();
    await expect(inFlight).rejects.toMatchObject({ code: 'TN_ERR_CONNECTOR_DOWN', retryable: true });
    await waitUntil(() => bind.state === BindState.Bound && smsc.connections === 2, 5000, 'bound again');
  });

  it('no submit_sm_resp within submitTimeoutMs is a retryable timeout, and frees the window', async () => {
    const { smsc, bind } = await setup({ submitTimeoutMs: 150 });
    smsc.submitAnswers.push('silence');
    bind.start();
    await waitUntil(() => bind.state === BindState.Bound, 5000, 'bound');
    await expect(bind.submit(submitFields)).rejects.toMatchObject({ code: 'TN_ERR_SUBMIT_TIMEOUT', retryable: true });
    expect(bind.windowInUse).toBe(0);
  });

  it('ESME_RTHROTTLED is a throttling error and slows the pacer once', async () => {
    const { smsc, bind, throttles } = await setup();
    smsc.submitAnswers.push({ status: 0x58 });
    bind.start();
    await waitUntil(() => bind.state === BindState.Bound, 5000, 'bound');
    await expect(bind.submit(submitFields)).rejects.toMatchObject({ code: 'TN_ERR_SMPP_THROTTLED', retryable: true });
    expect(throttles).toEqual(['started']);
    expect(bind.waitMs(Date.now())).toBeGreaterThan(0);
  });
});
