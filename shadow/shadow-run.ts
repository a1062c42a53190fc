import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import type { BoscoConfig, ClientConfig } from '../core/config.js';
import { BoscoError } from '../core/errors.js';
import { runClientDay, SHADOW_TOPIC, type ClientDayResult, type ShadowEnvironment } from './run-client-day.js';

export interface ShadowDaySummary {
  shadowRunId: string;
  date: string;
  results: ClientDayResult[];
}

export function newShadowRunId(now: Date = new Date()): string {
  return `sh-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
}

/** The clients a shadow run covers: the config's shadow list (default every client), narrowed by `only`. */
export function shadowClients(config: BoscoConfig, only?: readonly string[]): ClientConfig[] {
  const listed = config.shadow.clients ?? config.clients.map((c) => c.id);
  const missing = listed.find((id) => !config.clients.some((c) => c.id === id));
  if (missing) throw new BoscoError('CONFIG_INVALID', `shadow.clients names '${missing}', which is not in clients`, { hint: 'list only configured client ids under shadow.clients' });
  const unknown = only?.find((id) => !listed.includes(id));
  if (unknown) throw new BoscoError('UNKNOWN_CLIENT', `client '${unknown}' is not in shadow`, { hint: `clients in shadow: ${listed.slice(0, 10).join(', ')}` });
  const ids = new Set(only?.length ? only : listed);
  const clients = config.clients.filter((c) => ids.has(c.id));
  if (clients.length === 0) throw new BoscoError('USAGE', 'no clients are in shadow', { hint: 'add clients to the config (and to shadow.clients, if it is set)' });
  return clients;
}

export interface ShadowDayOptions {
  date: string;
  clients: readonly ClientConfig[];
  concurrency: number;
  /** Keep the checkpoints of an earlier, interrupted run of this day and skip what it finished. */
  resume: boolean;
  shadowRunId?: string;
  onClient?: (result: ClientDayResult) => void;
}

/**
 * Runs the shadow day for every client, a bounded number at a time. Clients are independent: one that fails is
 * reported with its reason and the others go on.
 */
export async function runShadowDay(env: ShadowEnvironment, options: ShadowDayOptions): Promise<ShadowDaySummary> {
  const shadowRunId = options.shadowRunId ?? newShadowRunId();
  if (!options.resume) for (const client of options.clients) env.checkpoints.clear(client.id, options.date);
  await env.bus.publish(SHADOW_TOPIC, 'run.started', { shadow_run_id: shadowRunId, date: options.date, clients: options.clients.length, resume: options.resume });
  const limit = pLimit(options.concurrency);
  const results = await Promise.all(
    options.clients.map((client) =>
      limit(async () => {
        const result = await runClientDay(env, client, options.date, shadowRunId);
        options.onClient?.(result);
        return result;
      }),
    ),
  );
  const count = (status: ClientDayResult['status']) => results.filter((r) => r.status === status).length;
  await env.bus.publish(SHADOW_TOPIC, 'run.finished', { shadow_run_id: shadowRunId, date: options.date, pass: count('pass'), fail: count('fail'), error: count('error') });
  return { shadowRunId, date: options.date, results };
}
