import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { GateReporter } from '../../src/mqtt/reporter.js';
import { healthySnapshot, mqttConfig, tempGate, until } from './helpers.js';
import { parseJson } from '../support/json.js';
import { z } from 'zod';

async function run(args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (d) => (out += d));
  const code = await main(args, { stdout, stderr, stdin: new PassThrough() });
  return { code, out };
}

describe('gate events tail', () => {
  let broker: LocalBroker | undefined;
  afterAll(async () => broker?.close());

  it('shows pending and sent counts and the newest rows without document keys or ticket ids', async () => {
    const g = tempGate();
    try {
      g.store.recordDecision({
        kind: 'decision',
        at: new Date().toISOString(),
        direction: 'entry',
        decision: 'open',
        reason: 'ok',
        docType: 'cn-resident-id',
        docKey: 'SECRETKEY',
        ticketId: 'TICKET-1',
        train: 'G1',
      });
      g.store.recordPassage({
        kind: 'passage',
        at: new Date().toISOString(),
        direction: 'entry',
        outcome: 'passed',
        ticketId: 'TICKET-1',
        docKey: 'SECRETKEY',
        decisionEventId: null,
      });
      g.store.outbox.markSent([1]);
      const { code, out } = await run(['events', 'tail', '--db', g.path, '--limit', '5']);
      expect(code).toBe(0);
      const view = parseJson(z.looseObject({ last: z.array(z.looseObject({ seq: z.number(), kind: z.string() })) }), out);
      expect(view).toMatchObject({ pending: 1, sent: 1, lastSeq: 2 });
      expect(view.last.map((r) => [r.seq, r.kind])).toEqual([
        [2, 'passage'],
        [1, 'decision'],
      ]);
      expect(view.last[1]).toMatchObject({ decision: 'open', reason: 'ok' });
      expect(out).not.toContain('SECRETKEY');
      expect(out).not.toContain('TICKET-1');
    } finally {
      g.close();
    }
  });

  it('with --url prints what the gate publishes', async () => {
    broker = await startLocalBroker();
    const g = tempGate('BJP', '03');
    const reporter = new GateReporter({
      store: g.store,
      mqtt: mqttConfig([broker.url]),
      status: () => healthySnapshot(g.store),
      onCommand: () => ({ ok: true, code: 'ok' }),
    });
    reporter.start();
    try {
      await until(() => reporter.connection.connected);
      await reporter.status.publishNow(); // retained: the tail sees it as soon as it subscribes
      const { code, out } = await run([
        'events',
        'tail',
        '--db',
        g.path,
        '--url',
        broker.url,
        '--station',
        'BJP',
        '--gate',
        '03',
        '--count',
        '1',
      ]);
      expect(code).toBe(0);
      const lines = out.trim().split('\n');
      expect(JSON.parse(lines[lines.length - 1])).toMatchObject({ topic: 'gates/v1/BJP/03/status', state: 'online', laneMode: 'normal' });
    } finally {
      await reporter.stop();
      g.close();
    }
  });

  it('asks for --db', async () => {
    expect((await run(['events', 'tail'])).code).toBe(2);
  });
});
