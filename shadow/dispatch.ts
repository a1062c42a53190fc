import type { ConsumeOptions, ConsumeSummary } from '../core/bus/index.js';
import type { ClientConfig } from '../core/config.js';
import { BoscoError } from '../core/errors.js';
import { getLogger } from '../core/logger.js';
import { stageOf } from '../flags/cutover.js';
import { isDualRun } from '../flags/stages.js';
import { runClientDay, type ShadowEnvironment } from './run-client-day.js';

/** One client's shadow day, handed to whichever worker takes it. */
export interface ShadowJob {
  shadow_run_id: string;
  client_id: string;
  date: string;
}

export const JOB_TOPIC = 'shadow.jobs';
export const WORKER_SUBSCRIPTION = 'shadow-workers';

/** Publishes one job per client and day; the client id orders a client's days. Checkpoints are cleared first, so each job runs whole. */
export async function dispatchShadowJobs(env: ShadowEnvironment, shadowRunId: string, dates: readonly string[], clients: readonly ClientConfig[]): Promise<number> {
  // A Pub/Sub subscription only receives what is published after it exists: make it before the jobs.
  await env.bus.ensureSubscription?.(JOB_TOPIC, WORKER_SUBSCRIPTION);
  let published = 0;
  for (const date of dates) {
    for (const client of clients) {
      env.checkpoints.clear(client.id, date);
      await env.bus.publish<ShadowJob>(JOB_TOPIC, 'shadow.job', { shadow_run_id: shadowRunId, client_id: client.id, date }, { orderingKey: client.id });
      published++;
    }
  }
  return published;
}

/**
 * Takes shadow jobs from the bus until told to stop (or idle), running each client's day. A job delivered again
 * (its worker died before acknowledging) resumes from the checkpoints, so it repeats nothing that finished. A job
 * whose client could not run is thrown back to be retried, and dead-lettered after `maxAttempts`.
 */
export async function runShadowWorker(env: ShadowEnvironment, options: ConsumeOptions = {}): Promise<ConsumeSummary> {
  const log = getLogger().child({ worker: process.pid });
  return env.bus.consume<ShadowJob>(JOB_TOPIC, WORKER_SUBSCRIPTION, async ({ event, attempt }) => {
    const job = event.data;
    const client = env.loaded.config.clients.find((c) => c.id === job.client_id);
    if (!client) {
      throw new BoscoError('UNKNOWN_CLIENT', `job ${event.id} names client '${job.client_id}', which is not in the config`, { hint: 'dispatch again from the current config' });
    }
    // The stage is read when the job runs, not when it was published: a client rolled back meanwhile is skipped.
    const stage = stageOf(await env.stages.list(), client.id);
    if (!isDualRun(stage)) {
      log.info({ client_id: job.client_id, date: job.date, stage }, 'shadow job skipped: the client is no longer in shadow or live');
      return;
    }
    const result = await runClientDay(env, { ...client, stage }, job.date, job.shadow_run_id);
    log.info({ client_id: job.client_id, date: job.date, attempt, status: result.status, ran: result.ran }, 'shadow job done');
    if (result.status === 'error') throw new BoscoError('PLATFORM_FAILED', `${job.client_id} ${job.date}: ${result.error}`, { hint: 'the job is retried, then dead-lettered' });
  }, options);
}
