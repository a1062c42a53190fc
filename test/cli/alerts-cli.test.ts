import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../core/bus/local/local-event-log.js';
import { announceLoad } from '../../new-pipeline/load/load-partition.js';
import { pipelineTables } from '../../new-pipeline/load/pipeline-tables.js';
import { partitionQuality, type QualityCheck } from '../../new-pipeline/quality/partition-quality.js';
import type { StagedPartition } from '../../new-pipeline/run/staged-partition.js';
import { SHADOW_TOPIC } from '../../shadow/run-client-day.js';
import { makeTempDir, runCli } from '../helpers/cli.js';

const quarantine = (check: string, message: string): QualityCheck => ({ check, outcome: 'quarantine', count: 1, message, sample: [] });

/** A partition of `clientId` on meta_ads with the quality `checks` gave it; the rows do not matter to its events. */
function stagedPartition(clientId: string, checks: QualityCheck[]): StagedPartition {
  const key = { date: '2026-11-22', platform: 'meta_ads' as const, clientId };
  return { key, quality: partitionQuality(key, checks), lineage: { run_id: 'alerts-test' } as StagedPartition['lineage'], drift: [], rows: [] };
}

describe('bosco alerts watch', () => {
  const dir = makeTempDir();
  afterAll(() => dir.cleanup());

  it('posts a failing reconcile, a quarantine (once, by its quality.failed) and an automatic rollback from the bus to the webhook, and nothing else', async () => {
    const received: Array<{ alert: string; client: string }> = [];
    const server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const payload = JSON.parse(body) as { alert: string; event: { data: { client_id: string } } };
        received.push({ alert: payload.alert, client: payload.event.data.client_id });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      writeFileSync(join(dir.path, 'bosco.config.json'), JSON.stringify({ alerts: { webhooks: [{ url, events: ['reconcile.failed', 'client.rolled_back', 'quality.failed'] }] } }));
      const bus = new LocalEventLog(join(dir.path, '.bosco', 'events'));
      await bus.publish(SHADOW_TOPIC, 'reconcile.completed', { client_id: 'acme', status: 'fail' });
      await bus.publish(SHADOW_TOPIC, 'reconcile.completed', { client_id: 'bolt', status: 'pass' });
      await bus.publish(SHADOW_TOPIC, 'client.rolled_back', { client_id: 'cove', from: 'live', to: 'shadow' });
      await bus.publish(SHADOW_TOPIC, 'sla.missed', { client_id: 'dune' });
      // What the load announces for a quarantined partition and a loaded one: one quality.failed alert, for eddy.
      const tables = pipelineTables('shadow');
      await announceLoad(bus, tables, stagedPartition('eddy', [quarantine('payload.file', 'the raw file cannot be read')]), 'quarantined');
      await announceLoad(bus, tables, stagedPartition('fern', []), 'loaded');
      const watched = await runCli(['alerts', 'watch', '--idle-exit', '1'], { cwd: dir.path });
      expect(watched.code, watched.stderr).toBe(0);
      expect(watched.stdout).toMatch(/7 event\(s\) handled/);
      expect(received.filter((r) => r.alert !== 'quality.failed')).toEqual([{ alert: 'reconcile.failed', client: 'acme' }, { alert: 'client.rolled_back', client: 'cove' }]);
      expect(received.filter((r) => r.alert === 'quality.failed')).toEqual([{ alert: 'quality.failed', client: 'eddy' }]);
    } finally {
      server.close();
    }
  }, 60_000);

  it('says what to configure when no webhook is set', async () => {
    const empty = makeTempDir();
    try {
      const result = await runCli(['alerts', 'watch', '--idle-exit', '1'], { cwd: empty.path });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/no alert webhooks are configured/);
    } finally {
      empty.cleanup();
    }
  });
});
