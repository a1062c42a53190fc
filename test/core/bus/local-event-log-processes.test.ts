import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsumeSummary } from '../../../core/bus/index.js';
import { LocalEventLog } from '../../../core/bus/local/local-event-log.js';
import { makeTempDir, REPO_ROOT } from '../../helpers/cli.js';
import type { ConsumerChildConfig } from './fixtures/consumer-child.js';

const CHILD = join(REPO_ROOT, 'test/core/bus/fixtures/consumer-child.ts');
const TOPIC = 'shadow.jobs';
const SUBSCRIPTION = 'workers';

describe('the local event log across consumer processes', () => {
  const children: ChildProcess[] = [];
  const dirs: Array<{ cleanup: () => void }> = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const dir of dirs.splice(0)) dir.cleanup();
  });

  function workspace() {
    const dir = makeTempDir();
    dirs.push(dir);
    const eventsDir = join(dir.path, 'events');
    const base = { eventsDir, topic: TOPIC, subscription: SUBSCRIPTION, ledger: join(dir.path, 'ledger.txt'), deliveries: join(dir.path, 'deliveries.txt') };
    return { log: new LocalEventLog(eventsDir), base, dir: dir.path };
  }

  /** Starts a consumer process; `done` resolves with its summary when it exits on its own. */
  function startConsumer(config: ConsumerChildConfig): { child: ChildProcess; done: Promise<{ code: number | null; summary?: ConsumeSummary; stderr: string }> } {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(config)], {
      cwd: REPO_ROOT,
      env: { ...process.env, BOSCO_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const done = new Promise<{ code: number | null; summary?: ConsumeSummary; stderr: string }>((resolve) =>
      child.on('exit', (code) => resolve({ code, summary: stdout.trim() ? (JSON.parse(stdout) as ConsumeSummary) : undefined, stderr })),
    );
    return { child, done };
  }

  async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  const ledgerIds = (file: string) => lines(file).map((line) => line.split(' ')[0]!);
  const deliveries = (file: string) => lines(file).map((line) => {
    const [pid, id, attempt] = line.split(' ');
    return { pid: Number(pid), id: id!, attempt: Number(attempt) };
  });

  async function killed(child: ChildProcess): Promise<void> {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  it('loses nothing and applies nothing twice when a consumer is SIGKILLed after its side effect and before its ack', async () => {
    const { log, base, dir } = workspace();
    const published = [];
    for (let n = 0; n < 30; n++) published.push(await log.publish(TOPIC, 'job', { n }));
    const hangMarker = join(dir, 'hanging');
    const first = startConsumer({ ...base, leaseMs: 400, idleTimeoutMs: 5_000, handleMs: 2, hangOn: 12, hangMarker });
    await until(() => existsSync(hangMarker), 'the first consumer to reach event 12');
    await killed(first.child);
    const stuck = readFileSync(hangMarker, 'utf8');
    expect(ledgerIds(base.ledger)).toContain(stuck);

    // Published while no consumer runs: kept for the next one.
    for (let n = 30; n < 40; n++) published.push(await log.publish(TOPIC, 'job', { n }));
    const second = startConsumer({ ...base, leaseMs: 400, idleTimeoutMs: 1_000, handleMs: 2 });
    const { code, summary, stderr } = await second.done;
    expect(stderr).toBe('');
    expect(code).toBe(0);

    const ids = published.map((event) => event.id).sort();
    expect([...ledgerIds(base.ledger)].sort()).toEqual(ids);
    const delivered = deliveries(base.deliveries);
    expect(delivered.filter((d) => d.id === stuck).map((d) => [d.pid, d.attempt])).toEqual([
      [first.child.pid, 1],
      [second.child.pid, 2],
    ]);
    expect(delivered.filter((d) => d.id !== stuck).map((d) => d.id).sort()).toEqual(ids.filter((id) => id !== stuck));
    expect(summary).toEqual({ acked: 40 - 12, retried: 0, deadLettered: 0 });
    expect(readdirSync(join(base.eventsDir, `${TOPIC}.subs`, SUBSCRIPTION))).toEqual(['committed.40']);
  });

  it('loses nothing and applies nothing twice when a consumer is SIGKILLed at an arbitrary moment', async () => {
    const { log, base } = workspace();
    const published = [];
    for (let n = 0; n < 80; n++) published.push(await log.publish(TOPIC, 'job', { n }));
    const first = startConsumer({ ...base, leaseMs: 300, idleTimeoutMs: 5_000, handleMs: 0 });
    await until(() => lines(base.deliveries).length >= 25, 'the first consumer to handle 25 events');
    await killed(first.child);
    const second = startConsumer({ ...base, leaseMs: 300, idleTimeoutMs: 1_000, handleMs: 0 });
    expect((await second.done).code).toBe(0);

    const ledger = ledgerIds(base.ledger);
    expect(ledger).toHaveLength(80);
    expect([...ledger].sort()).toEqual(published.map((event) => event.id).sort());
    // At most the event in hand when the kill landed is delivered twice.
    expect(deliveries(base.deliveries).length).toBeLessThanOrEqual(81);
  });

  it('shares one subscription between 3 consumer processes: every event handled exactly once', async () => {
    const { log, base } = workspace();
    const published = [];
    for (let n = 0; n < 120; n++) published.push(await log.publish(TOPIC, 'job', { n }));
    const consumers = [0, 1, 2].map(() => startConsumer({ ...base, leaseMs: 5_000, idleTimeoutMs: 1_500, handleMs: 10 }));
    // More work arrives while they run.
    for (let n = 120; n < 150; n++) published.push(await log.publish(TOPIC, 'job', { n }));
    const results = await Promise.all(consumers.map((consumer) => consumer.done));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);

    const delivered = deliveries(base.deliveries);
    expect(delivered.map((d) => d.id).sort()).toEqual(published.map((event) => event.id).sort());
    expect(delivered.every((d) => d.attempt === 1)).toBe(true);
    expect(results.reduce((sum, r) => sum + r.summary!.acked, 0)).toBe(150);
    expect(new Set(delivered.map((d) => d.pid)).size).toBeGreaterThan(1);
  });
});
