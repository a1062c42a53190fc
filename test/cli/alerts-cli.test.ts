import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../core/bus/local/local-event-log.js';
import { SHADOW_TOPIC } from '../../shadow/run-client-day.js';
import { makeTempDir, runCli } from '../helpers/cli.js';

describe('bosco alerts watch', () => {
  const dir = makeTempDir();
  afterAll(() => dir.cleanup());

  it('posts a failing reconcile and an automatic rollback from the bus to the webhook, and nothing else', async () => {
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
      writeFileSync(join(dir.path, 'bosco.config.json'), JSON.stringify({ alerts: { webhooks: [{ url, events: ['reconcile.failed', 'client.rolled_back'] }] } }));
      const bus = new LocalEventLog(join(dir.path, '.bosco', 'events'));
      await bus.publish(SHADOW_TOPIC, 'reconcile.completed', { client_id: 'acme', status: 'fail' });
      await bus.publish(SHADOW_TOPIC, 'reconcile.completed', { client_id: 'bolt', status: 'pass' });
      await bus.publish(SHADOW_TOPIC, 'client.rolled_back', { client_id: 'cove', from: 'live', to: 'shadow' });
      await bus.publish(SHADOW_TOPIC, 'sla.missed', { client_id: 'dune' });
      const watched = await runCli(['alerts', 'watch', '--idle-exit', '1'], { cwd: dir.path });
      expect(watched.code, watched.stderr).toBe(0);
      expect(watched.stdout).toMatch(/4 event\(s\) handled/);
      expect(received).toEqual([{ alert: 'reconcile.failed', client: 'acme' }, { alert: 'client.rolled_back', client: 'cove' }]);
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
