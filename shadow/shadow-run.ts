import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import type { BoscoConfig, ClientConfig } from '../core/config.js';
import { BoscoError } from '../core/errors.js';
import { stageOf } from '../flags/cutover.js';
import { isDualRun } from '../flags/stages.js';
import type { Stage, StageRecord } from '../flags/types.js';
import { runClientDay, SHADOW_TOPIC, type ClientDayResult, type ShadowEnvironment } from './run-client-day.js';

export interface ShadowDaySummary {
  shadowRunId: string;
  date: string;
  results: ClientDayResult[];
}

export function newShadowRunId(now: Date = new Date()): string {
  return `sh-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
}

/**
 * The clients a shadow run covers: those whose stage is `shadow` (the new side runs beside legacy) or `live`
 * (legacy runs beside the new side as a reverse shadow), narrowed by `only`. Stages come from the flag store alone.
 */
export function shadowClients(config: BoscoConfig, stages: readonly StageRecord[], only?: readonly string[]): Array<ClientConfig & { stage: Stage }> {
  const inDualRun = config.clients.map((c) => ({ ...c, stage: stageOf(stages, c.id) })).filter((c) => isDualRun(c.stage));
  const unknown = only?.find((id) => !inDualRun.some((c) => c.id === id));
  if (unknown) {
    const stage = config.clients.some((c) => c.id === unknown) ? stageOf(stages, unknown) : undefined;
    throw new BoscoError('UNKNOWN_CLIENT', stage ? `client '${unknown}' is ${stage}, not in shadow or live` : `client '${unknown}' is not in the config`, {
      hint: stage ? `move it to shadow first: bosco flags promote ${unknown} --reason "…"` : `configured clients: ${config.clients.map((c) => c.id).slice(0, 10).join(', ')}`,
    });
  }
  const clients = only?.length ? inDualRun.filter((c) => only.includes(c.id)) : inDualRun;
  if (clients.length === 0) throw new BoscoError('USAGE', 'no client is in shadow or live', { hint: 'start one: bosco flags promote <client> --reason "…"' });
  return clients;
}

export interface ShadowDayOptions {
  date: string;
  clients: ReadonlyArray<ClientConfig & { stage: Stage }>;
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
