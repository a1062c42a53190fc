import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ALERT_HEADERS, alertKindOf, consumeAlerts, createAlertSink, type AlertPayload } from '../../../core/alerts/index.js';
import type { BusEvent } from '../../../core/bus/index.js';
import { LocalEventLog } from '../../../core/bus/local/local-event-log.js';
import { parseConfig, type AlertSettings } from '../../../core/config.js';
import { makeTempDir } from '../../helpers/cli.js';
import { guardLoopback } from '../warehouse/loopback-guard.js';

const guard = guardLoopback();
afterAll(() => guard.restore());

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1: answers each request with the next planned status (200 once the plan runs out); `hang` never answers. */
async function startReceiver(plan: Array<number | 'hang'> = []) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ path: request.url!, headers: request.headers, body });
      const next = plan.shift() ?? 200;
      if (next === 'hang') return;
      if (next === 429) response.setHeader('retry-after', '0');
      response.writeHead(next).end(next === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    received,
    url: (path = '/hooks/T000/SECRET-PATH') => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const event = (type: string, data: unknown = {}): BusEvent => ({ id: randomUUID(), topic: 'shadow.runs', type, at: '2026-11-23T08:05:00.000Z', data });

const settings = (webhooks: unknown[]): AlertSettings => parseConfig({ alerts: { webhooks } }, 'test').alerts;

function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

describe('alertKindOf', () => {
  it('raises the alert an event is typed as and reconcile.failed for a failing reconcile; a quarantine alerts once, by its quality.failed', () => {
    expect(alertKindOf(event('sla.missed'))).toBe('sla.missed');
    expect(alertKindOf(event('quality.failed'))).toBe('quality.failed');
    expect(alertKindOf(event('reconcile.completed', { status: 'fail' }))).toBe('reconcile.failed');
    expect(alertKindOf(event('reconcile.completed', { status: 'pass' }))).toBeUndefined();
    // The load publishes quality.failed beside it: were this an alert too, every quarantine would alert twice.
    expect(alertKindOf(event('partition.quarantined', { quality: 'quarantined' }))).toBeUndefined();
    expect(alertKindOf(event('run.started'))).toBeUndefined();
  });
});

describe('the alerts section of the config', () => {
  it('has no webhooks by default and fills each webhook’s timeout and retries', () => {
    expect(parseConfig({}, 'test').alerts).toEqual({ webhooks: [] });
    expect(settings([{ url: 'https://hooks.example.com/x', events: ['sla.missed'] }]).webhooks[0]).toEqual({
      url: 'https://hooks.example.com/x',
      events: ['sla.missed'],
      timeoutMs: 5000,
      retries: 3,
    });
  });

  it('refuses an unknown alert, a URL that is not http(s) and a secret given in place of a variable name', () => {
    expect(() => settings([{ url: 'https://h.example.com', events: ['run.started'] }])).toThrow(/alerts\.webhooks\.0\.events/);
    expect(() => settings([{ url: 'ftp://h.example.com', events: ['sla.missed'] }])).toThrow(/http/);
    expect(() => settings([{ url: 'https://h.example.com', events: ['sla.missed'], secretEnv: 's3cr3t value!' }])).toThrow(/secretEnv/);
  });
});

describe('the webhook alert sink', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    expect(guard.refused).toEqual([]);
  });

  async function receiver(plan?: Array<number | 'hang'>) {
    const started = await startReceiver(plan);
    cleanups.push(started.close);
    return started;
  }

  it('POSTs the alert as JSON, with its kind and the event id as headers, to the webhooks subscribed to it only', async () => {
    const slas = await receiver();
    const quality = await receiver();
    const sink = createAlertSink(settings([
      { url: slas.url(), events: ['sla.missed', 'reconcile.failed'] },
      { url: quality.url(), events: ['quality.failed'] },
    ]));
    const missed = event('sla.missed', { client_id: 'kestrel-home', date: '2026-11-22' });
    expect(await sink.notify(missed)).toEqual([{ webhook: expect.stringMatching(/^webhook 1 \(http:\/\/127\.0\.0\.1:\d+\)$/), status: 'sent', attempts: 1 }]);
    expect(await sink.notify(event('run.started'))).toEqual([]);

    expect(quality.received).toEqual([]);
    const [request] = slas.received;
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers[ALERT_HEADERS.alert]).toBe('sla.missed');
    expect(request!.headers[ALERT_HEADERS.eventId]).toBe(missed.id);
    expect(request!.headers[ALERT_HEADERS.signature]).toBeUndefined();
    const payload = JSON.parse(request!.body) as AlertPayload;
    expect(payload).toEqual({ alert: 'sla.missed', event: missed, sent_at: expect.any(String) });
  });

  it('signs the body with HMAC-SHA256 of the secret in secretEnv, and never logs the secret', async () => {
    const secret = 'whsec-very-secret-value';
    const hook = await receiver([503]);
    const { logger, text } = capturedLogger();
    const sink = createAlertSink(settings([{ url: hook.url(), events: ['quality.failed'], secretEnv: 'ALERT_SECRET' }]), { env: { ALERT_SECRET: secret }, backoffMs: 1, logger });
    await sink.notify(event('quality.failed', { client_id: 'acme' }));

    expect(hook.received).toHaveLength(2);
    for (const request of hook.received) {
      expect(request.headers[ALERT_HEADERS.signature]).toBe(`sha256=${createHmac('sha256', secret).update(request.body).digest('hex')}`);
    }
    expect(text()).toContain('alert not delivered');
    expect(text()).not.toContain(secret);
  });

  it('retries a webhook that answers 5xx or 429, backing off, until it accepts', async () => {
    const hook = await receiver([500, 429, 502]);
    const sink = createAlertSink(settings([{ url: hook.url(), events: ['sla.missed'], retries: 3 }]), { backoffMs: 5, logger: capturedLogger().logger });
    expect(await sink.notify(event('sla.missed'))).toEqual([expect.objectContaining({ status: 'sent', attempts: 4 })]);
    expect(hook.received).toHaveLength(4);
  });

  it('gives up after its retries with ALERT_FAILED, naming the origin but not the path (which can hold a token)', async () => {
    const hook = await receiver(['hang', 'hang']);
    const sink = createAlertSink(settings([{ url: hook.url('/services/T000/B000/TOKEN123'), events: ['reconcile.failed'], timeoutMs: 100, retries: 1 }]), { backoffMs: 1, logger: capturedLogger().logger });
    const failure = await sink.notify(event('reconcile.completed', { status: 'fail' })).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'ALERT_FAILED', message: expect.stringMatching(/webhook 1 \(http:\/\/127\.0\.0\.1:\d+\): no answer within 100 ms/) });
    expect((failure as Error).message).not.toContain('TOKEN123');
    expect(hook.received).toHaveLength(2);
  });

  it('does not retry a webhook that refuses the request with a 4xx', async () => {
    const hook = await receiver([401]);
    const sink = createAlertSink(settings([{ url: hook.url(), events: ['sla.missed'] }]), { backoffMs: 1, logger: capturedLogger().logger });
    await expect(sink.notify(event('sla.missed'))).rejects.toMatchObject({ code: 'ALERT_FAILED', message: expect.stringContaining('HTTP 401') });
    expect(hook.received).toHaveLength(1);
  });

  it('re-sends a repeated event only to the webhooks that did not accept it', async () => {
    const good = await receiver();
    const flaky = await receiver([500]);
    const sink = createAlertSink(settings([
      { url: good.url(), events: ['sla.missed'] },
      { url: flaky.url(), events: ['sla.missed'], retries: 0 },
    ]), { backoffMs: 1, logger: capturedLogger().logger });
    const missed = event('sla.missed');
    await expect(sink.notify(missed)).rejects.toMatchObject({ code: 'ALERT_FAILED' });
    expect(await sink.notify(missed)).toEqual([expect.objectContaining({ webhook: expect.stringMatching(/^webhook 2/), status: 'sent' })]);
    expect(good.received).toHaveLength(1);
    expect(flaky.received).toHaveLength(2);
  });

  it('refuses to start when the secret variable is not set, naming the variable', () => {
    expect(() => createAlertSink(settings([{ url: 'https://hooks.example.com/x', events: ['sla.missed'], secretEnv: 'MISSING_ALERT_SECRET' }]), { env: {} })).toThrow(
      expect.objectContaining({ code: 'CREDENTIALS_MISSING', message: expect.stringContaining('MISSING_ALERT_SECRET') }),
    );
  });

  it('consumes the bus: alerts for missed SLAs and failing reconciles, nothing for the rest, and retries a delivery that failed', async () => {
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    const bus = new LocalEventLog(join(dir.path, 'events'));
    const hook = await receiver([500]);
    const sink = createAlertSink(settings([{ url: hook.url(), events: ['sla.missed', 'reconcile.failed', 'quality.failed'], retries: 0 }]), { backoffMs: 1, logger: capturedLogger().logger });
    await bus.publish('shadow.runs', 'run.started', { date: '2026-11-22' });
    const missed = await bus.publish('shadow.runs', 'sla.missed', { client_id: 'acme' });
    await bus.publish('shadow.runs', 'reconcile.completed', { client_id: 'acme', status: 'pass' });
    const failed = await bus.publish('shadow.runs', 'reconcile.completed', { client_id: 'kestrel-home', status: 'fail' });
    await bus.publish('pipeline.partitions', 'partition.quarantined', { clientId: 'acme' });
    const quarantined = await bus.publish('pipeline.partitions', 'quality.failed', { client_id: 'acme' });
    await bus.publish('pipeline.partitions', 'partition.loaded', { clientId: 'acme' });

    const summary = await consumeAlerts(bus, sink, { topics: ['shadow.runs', 'pipeline.partitions'], idleTimeoutMs: 200 });
    expect(summary).toEqual({ acked: 7, retried: 1, deadLettered: 0 });
    const alerts = hook.received.map((r) => JSON.parse(r.body) as AlertPayload).map((a) => `${a.alert} ${a.event.id}`);
    expect(new Set(alerts)).toEqual(new Set([`sla.missed ${missed.id}`, `reconcile.failed ${failed.id}`, `quality.failed ${quarantined.id}`]));
    // The first request got a 500: its event came back and went out again.
    expect(alerts).toHaveLength(4);
    expect(alerts.filter((a) => a === alerts[0])).toHaveLength(2);
  });
});
