import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { openBus } from '../core/bus/index.js';
import type { LoadedConfig } from '../core/config.js';
import { getLogger } from '../core/logger.js';
import { warehouseWhileBusy } from '../core/warehouse/access.js';
import { openStageStore } from '../flags/index.js';
import { installErrorHandlers } from './api/errors.js';
import { registerHealthRoutes } from './api/health-routes.js';
import { registerInsightsRoutes } from './api/insights-route.js';
import { registerMetricsRoutes } from './api/metrics-route.js';
import { installTracing } from './api/tracing.js';
import { apiKeyAuthenticator, keyring } from './auth/api-key-authenticator.js';
import { keysFilePath } from './auth/keys.js';
import { registerDashboardRoutes } from './dashboard/routes.js';
import { cachingStageView, invalidatingStore, type StageViewEvent } from './stage-view.js';
import type { ServeDeps } from './types.js';

/**
 * The HTTP server: `/healthz`, `/readyz`, `GET /v1/clients/:id/metrics` and the cutover dashboard's routes, with one
 * server span per request and every error answered as `{ error: { code, message, hint } }`. Not yet listening.
 */
export async function buildServer(deps: ServeDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    // Random, so an id a caller quotes from an error body finds its request in the log and nothing else.
    genReqId: () => randomUUID(),
    // Bounds a client that opens a request and never finishes it; no route here takes nearly as long.
    requestTimeout: 30_000,
    return503OnClosing: true,
  });
  installTracing(app);
  installErrorHandlers(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff');
  });
  registerHealthRoutes(app, deps);
  registerMetricsRoutes(app, deps);
  registerInsightsRoutes(app, deps);
  await registerDashboardRoutes(app, deps);
  return app;
}

function logStageEvent(event: StageViewEvent): void {
  const log = getLogger().child({ component: 'serve' });
  switch (event.type) {
    case 'stale':
      log.error({ err: event.error, lastSuccessAt: new Date(event.lastSuccessAt).toISOString() }, 'the flag store cannot be read: serving the last stages read (x-bosco-stage-stale: true)');
      break;
    case 'unavailable':
      log.error({ err: event.error }, 'the flag store cannot be read and no stage is known yet: metrics answer 503');
      break;
    case 'vanished':
      log.error({ clientIds: event.clientIds }, 'the flag store no longer has these clients: serving their last stages (x-bosco-stage-stale: true) until a restart');
      break;
    case 'recovered':
      log.info({ downForMs: event.downForMs }, 'the flag store answers again');
      break;
  }
}

export interface OpenServeOptions {
  /** How long the stage view reuses one read of the store, in ms. Default 1000 (writes through `deps.stageStore` show at once). */
  stageCacheMs?: number;
  /** How long the warehouse stays open after the last request, in ms. Default 1000. */
  warehouseIdleMs?: number;
}

/** The server's dependencies for a workspace, and how to close them. */
export interface OpenedServeDeps {
  deps: ServeDeps;
  close(): Promise<void>;
}

/**
 * Opens what `bosco serve` uses for its lifetime: the workspace warehouse, held while requests come and let go
 * between them (an embedded DuckDB file admits one process, so `bosco flags` and other commands get it in the
 * gaps), the stage store behind a caching view, the bus, and the API keys of the config and the keys file.
 */
export async function openServeDeps(loaded: LoadedConfig, options: OpenServeOptions = {}): Promise<OpenedServeDeps> {
  const auth = apiKeyAuthenticator(keyring(loaded.config.serve.keys, keysFilePath(loaded)));
  const warehouse = warehouseWhileBusy(loaded, { idleMs: options.warehouseIdleMs });
  // Opened once now, so a workspace that cannot be opened stops the server before it listens.
  await warehouse.use(async () => undefined);
  const store = await openStageStore(loaded).catch(async (error: unknown) => {
    await warehouse.close();
    throw error;
  });
  const bus = openBus(loaded);
  const stages = cachingStageView(store, { cacheMs: options.stageCacheMs, onEvent: logStageEvent });
  const deps: ServeDeps = { loaded, warehouse, stages, stageStore: invalidatingStore(store, stages), bus, auth, now: () => new Date() };
  return {
    deps,
    async close() {
      await Promise.allSettled([bus.close(), store.close()]);
      await warehouse.close();
    },
  };
}
