import type { FastifyRequest } from 'fastify';
import type { EventBus } from '../core/bus/index.js';
import type { LoadedConfig } from '../core/config.js';
import type { WarehouseAccess } from '../core/warehouse/access.js';
import type { StageRecord, StageStore } from '../flags/types.js';

/** Who a request is: an agency client reading its own numbers, or an admin running the cutover. */
export type Caller = { kind: 'client'; clientId: string; keyId: string } | { kind: 'admin'; actor: string; keyId: string };

/**
 * Checks API keys (hashed at rest), sent as `Authorization: Bearer <key>`, `x-api-key: <key>` or as the password of
 * HTTP Basic auth. Throws a 401/403-mapped BoscoError; never says whether a client exists.
 */
export interface Authenticator {
  /** The caller behind the request's key; rejects a missing or unknown key. */
  caller(request: FastifyRequest): Promise<Caller>;
  /**
   * The admin behind the request's key; rejects any other caller. With `basicRealm`, a 401 carries
   * `WWW-Authenticate: Basic realm="<basicRealm>"`, so a browser asks for the key. Default: no challenge.
   */
  requireAdmin(request: FastifyRequest, options?: { basicRealm?: string }): Promise<Extract<Caller, { kind: 'admin' }>>;
}

/** Stages as the serving path reads them: the store's, or the last ones it saw while the store is down. */
export interface StageView {
  list(): Promise<{ records: StageRecord[]; stale: boolean }>;
}

/** Everything the HTTP server's routes use; built once by `bosco serve` (and by tests). */
export interface ServeDeps {
  loaded: LoadedConfig;
  /** The warehouse holding both sides' rows, the reconcile history, the audit log. */
  warehouse: WarehouseAccess;
  stages: StageView;
  /** For writes (promote, rollback): the same store the CLI uses, through the flags module. */
  stageStore: StageStore;
  bus: EventBus;
  auth: Authenticator;
  now: () => Date;
}
