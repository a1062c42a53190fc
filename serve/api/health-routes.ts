import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { getLogger } from '../../core/logger.js';
import type { ServeDeps } from '../types.js';
import { RETRY_AFTER_SECONDS } from './errors.js';

/** How long a readiness check waits for a dependency before calling it unreachable. */
const CHECK_TIMEOUT_MS = 2000;

type CheckResult = 'ok' | 'unreachable';

async function check(name: string, probe: () => Promise<unknown>): Promise<CheckResult> {
  const timeout = new AbortController();
  try {
    await Promise.race([probe(), sleep(CHECK_TIMEOUT_MS, undefined, { signal: timeout.signal }).then(() => Promise.reject(new Error(`no answer in ${CHECK_TIMEOUT_MS} ms`)))]);
    return 'ok';
  } catch (error) {
    getLogger().warn({ err: error, dependency: name }, 'readiness check failed');
    return 'unreachable';
  } finally {
    timeout.abort();
  }
}

/**
 * `/healthz`: the process answers. `/readyz`: the warehouse and the stage store both answer, so a load balancer
 * sends traffic only to an instance that can serve it. Neither needs a key, and neither says more than ok/unreachable.
 */
export function registerHealthRoutes(app: FastifyInstance, deps: ServeDeps): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const [warehouse, stages] = await Promise.all([
      check('warehouse', () => deps.warehouse.use((w) => w.query('SELECT 1 AS ok'))),
      check('stage store', () => deps.stageStore.list()),
    ]);
    const ready = warehouse === 'ok' && stages === 'ok';
    if (!ready) reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS));
    return { status: ready ? 'ready' : 'unavailable', checks: { warehouse, stages } };
  });
}
