import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { InMemStorageProvider, Unleash, UnleashEvents, type UnleashConfig } from 'unleash-client';
import { BoscoError, messageOf } from '../../core/errors.js';
import { getLogger } from '../../core/logger.js';
import type { StageChange, StageRecord, StageStore } from '../types.js';
import { UnleashAdminApi, type AdminStrategy } from './unleash-admin-api.js';
import { UnleashBackupFile } from './unleash-backup-file.js';
import { SdkAgents } from './unleash-sdk-agent.js';
import { clientContext, clientEntryOf, clientStrategy, cohortVersion, DEFAULT_FLAG_NAME, ownVersionIn, ownVersionOf, payloadOf, stageNamed, type ClientEntry } from './unleash-flag-model.js';

export interface UnleashStageStoreOptions {
  /** Unleash's API root, e.g. `https://unleash.example.com/api`. */
  url: string;
  /** A backend (client) API token for `environment`. */
  clientToken: string;
  /** An admin API token; only writes need one, so undefined is fine for a reader. */
  adminToken: string | undefined;
  /** Where each token comes from (e.g. `$BOSCO_UNLEASH_ADMIN_TOKEN`), named in errors; never the tokens. */
  tokenSources: { client: string; admin: string };
  /** The SDK's backup file, served when Unleash cannot be reached. */
  backupPath: string;
  /** Default `bosco`. */
  appName?: string;
  /** The environment whose strategies a write changes; the client token reads the same one. Default `production`. */
  environment?: string;
  /** Default `default`. */
  project?: string;
  /** Default `bosco-migration-stage`. */
  flagName?: string;
  /**
   * Clients `list` resolves besides those with a stage of their own, so members of a cohort are listed; a client's
   * agency goes into its Unleash context as `agencyId`, so a cohort can be all clients of an agency. Default none.
   */
  clients?: ReadonlyArray<{ id: string; agency?: string }>;
  /** How long opening waits for Unleash before serving the backup, or failing without one. Default 10 000 ms. */
  readyTimeoutMs?: number;
}

/** A write this process made, served until the SDK's next fetch shows it (or shows a later one). */
interface OwnWrite {
  record: StageRecord;
  /** The client's own versions this process's writes replaced: while the SDK still shows one of them, it has not fetched since. */
  replaced: Set<string | undefined>;
}

/** How long a write waits for Unleash to serve it to clients (it refreshes what it serves about every second). */
const SERVED_WAIT_MS = 5_000;
/** Longest `close` waits for a fetch in flight; its retries after its sockets are ended take at most 3 s. */
const CLOSE_WAIT_MS = 5_000;

/**
 * Stages on an Unleash feature flag (the model: `unleash-flag-model.ts`). Reads are the SDK's evaluation of the
 * flag, from memory: the SDK refreshes it every 15 s and keeps it, and its backup file, through an outage; a write
 * this store made is read back at once. Writes go to the admin API as a compare-and-set: under a per-client lock
 * (see `UnleashAdminApi`) the client's strategy is read, its version compared with the writer's, then replaced by a
 * JSON patch whose `test` operations repeat the comparison on the server, and read back to confirm; `set` returns
 * once Unleash serves the new stage to an SDK starting then.
 */
export class UnleashStageStore implements StageStore {
  private readonly ownWrites = new Map<string, OwnWrite>();
  private closed = false;

  private readonly unleash: Unleash;
  private readonly flagName: string;
  private readonly agents = new SdkAgents();
  /** Settles when the SDK's fetch in flight has ended; undefined while none is. */
  private fetching: { ended: Promise<void>; end: () => void } | undefined;
  private fromBackup = false;
  private problem: string | undefined;

  /** The client's stage as the SDK resolves it, with the client's agency in its context. */
  private stageIn(unleash: Unleash, clientId: string): StageRecord | undefined {
    return stageIn(unleash, this.flagName, clientId, this.options.clients?.find((c) => c.id === clientId)?.agency);
  }

  private constructor(
    private readonly options: UnleashStageStoreOptions,
    private readonly backup: UnleashBackupFile,
  ) {
    this.flagName = options.flagName ?? DEFAULT_FLAG_NAME;
    this.unleash = this.createSdk(backup, async () => {
      // A poll falling due once the store is closed never sends its request, nor schedules another.
      if (this.closed) return new Promise<never>(() => {});
      if (!this.fetching) {
        let end!: () => void;
        const ended = new Promise<void>((resolve) => (end = resolve));
        this.fetching = { ended, end };
      }
      return { Authorization: options.clientToken };
    });
    const log = getLogger();
    // Every fetch ends in exactly one of these events (a change, no change, a warning or an error).
    const fetchEnded = () => {
      this.fetching?.end();
      this.fetching = undefined;
    };
    this.unleash.on(UnleashEvents.Changed, fetchEnded);
    this.unleash.on(UnleashEvents.Unchanged, fetchEnded);
    this.unleash.on(UnleashEvents.Ready, () => (this.fromBackup = !this.unleash.isSynchronized()));
    this.unleash.on(UnleashEvents.Warn, (warning: unknown) => {
      this.problem = messageOf(warning);
      if (!this.closed) log.debug({ flag: this.flagName, warning: this.problem }, 'Unleash client warning');
      fetchEnded();
    });
    // Without a listener of its own the SDK prints errors to the console; once open, a failed refresh only means the last stages are served.
    this.unleash.on(UnleashEvents.Error, (error: unknown) => {
      this.problem = messageOf(error);
      if (!this.closed) log.warn({ flag: this.flagName, reason: this.problem }, 'Unleash could not be read');
      fetchEnded();
    });
  }

  private createSdk(storageProvider: UnleashConfig['storageProvider'], customHeadersFunction?: UnleashConfig['customHeadersFunction']): Unleash {
    return new Unleash({
      url: this.options.url,
      appName: this.options.appName ?? 'bosco',
      environment: this.options.environment ?? 'production',
      customHeaders: { Authorization: this.options.clientToken },
      customHeadersFunction,
      storageProvider,
      httpOptions: { agent: this.agents.agentFor },
      // A CLI run lasts seconds: usage metrics would only add a timer and requests that never complete.
      disableMetrics: true,
      disableAutoStart: true,
    });
  }

  /** Opens the store once the SDK has fetched the flag, or, when Unleash cannot be reached, loaded its backup. */
  static async open(options: UnleashStageStoreOptions): Promise<UnleashStageStore> {
    const store = new UnleashStageStore(options, new UnleashBackupFile(options.backupPath));
    try {
      await store.waitUntilUsable(options.readyTimeoutMs ?? 10_000);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  async get(clientId: string): Promise<StageRecord | undefined> {
    const seen = this.stageIn(this.unleash, clientId);
    const written = this.ownWrites.get(clientId);
    if (!written) return seen;
    if (written.replaced.has(ownVersionOf(seen?.version))) return written.record;
    this.ownWrites.delete(clientId);
    return seen;
  }

  async list(): Promise<StageRecord[]> {
    const own = (this.unleash.getFeatureToggleDefinition(this.flagName)?.strategies ?? []).flatMap((s) => clientEntryOf(s)?.clientId ?? []);
    const ids = new Set([...own, ...(this.options.clients ?? []).map((c) => c.id), ...this.ownWrites.keys()]);
    const records = await Promise.all([...ids].map((id) => this.get(id)));
    return records.filter((r): r is StageRecord => r !== undefined).sort((a, b) => a.clientId.localeCompare(b.clientId));
  }

  async set(change: StageChange): Promise<StageRecord> {
    const admin = this.admin();
    const { clientId, stage } = change;
    const { record, replaced, effective } = await admin.withClientLock(this.flagName, clientId, async (lease) => {
      let flag = await admin.flag(this.flagName);
      const created = !flag;
      if (!flag) {
        await admin.createFlag(this.flagName);
        flag = { enabled: false, strategies: [] };
      }
      const mine = ownStrategies(flag.strategies, clientId);
      if (mine.length > 1) {
        throw new BoscoError('FLAG_CONFLICT', `client '${clientId}' has ${mine.length} strategies of its own on the Unleash flag '${this.flagName}'`, {
          hint: 'keep the first (the one in effect) and delete the others in Unleash, then try again',
        });
      }
      const current = mine[0];
      if (current?.entry.version !== ownVersionOf(change.expectedVersion)) throw this.conflict(clientId, current?.entry);
      const version = randomBytes(8).toString('hex');
      lease();
      if (current) {
        const applied = await admin.patchStrategy(this.flagName, current.strategy.id, [
          { op: 'test', path: '/constraints/0/values/0', value: clientId },
          { op: 'test', path: '/variants/0/payload/value', value: current.entry.payload },
          { op: 'replace', path: '/variants/0/name', value: stage },
          { op: 'replace', path: '/variants/0/payload/value', value: payloadOf(clientId, version) },
        ]);
        if (!applied) throw this.conflict(clientId, undefined);
      } else {
        // Before every existing strategy: a client's own stage overrides the cohorts it belongs to.
        const first = Math.min(0, ...flag.strategies.map((s) => s.sortOrder ?? 0)) - 1;
        await admin.createStrategy(this.flagName, clientStrategy(this.flagName, clientId, stage, version, first));
      }
      // Only a flag this write created is switched on: one switched off in the environment is a deliberate kill switch.
      if (created) await admin.enable(this.flagName);
      else if (!flag.enabled) getLogger().warn({ flag: this.flagName, clientId }, 'the Unleash flag is off in this environment: every client reads legacy until it is switched on');
      const after = ownStrategies((await admin.flag(this.flagName))?.strategies ?? [], clientId);
      if (after.length !== 1 || after[0]!.entry.version !== version) throw this.conflict(clientId, after[0]?.entry);
      return { record: { clientId, stage, version }, replaced: current?.entry.version, effective: created || flag.enabled };
    });
    if (!effective) return record;
    const pending = this.ownWrites.get(clientId);
    const superseded = pending?.replaced.has(ownVersionOf(this.stageIn(this.unleash, clientId)?.version)) ? pending.replaced : new Set<string | undefined>();
    this.ownWrites.set(clientId, { record, replaced: superseded.add(replaced) });
    await this.awaitServed(record);
    return record;
  }

  /**
   * Stops the SDK so that nothing it started outlives the store: its sockets are ended, so a fetch in flight fails
   * at once (and its retries, after the HTTP layer's backoff of at most 3 s); once that fetch has ended, and the
   * backup it may be writing is written, the SDK has scheduled its next poll, which `destroy()` clears.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.agents.close();
    if (this.fetching) {
      const abandon = new AbortController();
      await Promise.race([this.fetching.ended, sleep(CLOSE_WAIT_MS, undefined, { signal: abandon.signal }).catch(() => {})]);
      abandon.abort();
    }
    await this.backup.idle();
    await new Promise((resolve) => setImmediate(resolve));
    this.unleash.destroy();
  }

  /**
   * Waits until Unleash serves the write to an SDK that starts now (it refreshes what it serves about every
   * second), so a process started after `set` returns reads it. SDKs already running read it at their next refresh.
   */
  private async awaitServed(record: StageRecord): Promise<void> {
    const deadline = Date.now() + SERVED_WAIT_MS;
    for (;;) {
      const probe = this.createSdk(new InMemStorageProvider());
      // A failed look is only retried: the write itself is done.
      probe.on(UnleashEvents.Error, () => {});
      probe.on(UnleashEvents.Warn, () => {});
      try {
        await startSdk(probe);
        if (this.stageIn(probe, record.clientId)?.version === record.version) return;
      } finally {
        probe.destroy();
      }
      if (Date.now() > deadline) {
        getLogger().warn({ flag: this.flagName, clientId: record.clientId }, `Unleash did not serve the new stage within ${SERVED_WAIT_MS / 1000} s; clients read it once it does`);
        return;
      }
      await sleep(200);
    }
  }

  private admin(): UnleashAdminApi {
    if (!this.options.adminToken) {
      throw new BoscoError('CREDENTIALS_MISSING', `changing a stage in Unleash needs an admin token in ${this.options.tokenSources.admin}, which is not set`, {
        hint: `set ${this.options.tokenSources.admin} to an Unleash admin API token (reading stages needs only the client token)`,
      });
    }
    return new UnleashAdminApi({
      url: this.options.url,
      token: this.options.adminToken,
      tokenSource: this.options.tokenSources.admin,
      project: this.options.project ?? 'default',
      environment: this.options.environment ?? 'production',
    });
  }

  private conflict(clientId: string, now: { stage: string; version: string } | undefined): BoscoError {
    return new BoscoError('FLAG_CONFLICT', `client '${clientId}' changed in Unleash since it was read (now ${now?.stage ?? 'without a stage of its own'}${now ? `, version ${now.version}` : ''})`, {
      hint: 'someone else changed this client just now: check bosco flags history, then try again',
    });
  }

  private async waitUntilUsable(timeoutMs: number): Promise<void> {
    const abandon = new AbortController();
    try {
      await Promise.race([startSdk(this.unleash), sleep(timeoutMs, undefined, { signal: abandon.signal }).catch(() => {})]);
    } finally {
      abandon.abort();
    }
    const problem = this.problem ?? `no answer within ${timeoutMs} ms`;
    if (/responded (401|403)/.test(problem)) {
      throw new BoscoError('CREDENTIALS_MISSING', `Unleash refused the client token from ${this.options.tokenSources.client}: ${problem}`, {
        hint: `set ${this.options.tokenSources.client} to a backend API token for environment ${this.options.environment ?? 'production'}`,
      });
    }
    if (this.unleash.isSynchronized()) return;
    if (this.fromBackup) {
      getLogger().warn({ flag: this.flagName, backup: this.options.backupPath, reason: problem }, 'Unleash cannot be reached: serving the stages from its backup');
      return;
    }
    throw new BoscoError('SOURCE_UNREACHABLE', `cannot read the stages from Unleash at ${this.options.url}: ${problem}`, {
      hint: `check flags.store.url and that Unleash is up; no backup of the last stages exists yet at ${this.options.backupPath}`,
    });
  }
}

function ownStrategies(strategies: readonly AdminStrategy[], clientId: string): Array<{ strategy: AdminStrategy; entry: ClientEntry }> {
  return strategies.flatMap((strategy) => {
    const entry = clientEntryOf(strategy);
    return entry?.clientId === clientId ? [{ strategy, entry }] : [];
  });
}

/** The client's stage as the SDK resolves it: the first matching strategy's stage variant. */
function stageIn(unleash: Unleash, flagName: string, clientId: string, agency: string | undefined): StageRecord | undefined {
  const variant = unleash.getVariant(flagName, clientContext(clientId, agency));
  const stage = variant.feature_enabled && variant.enabled ? stageNamed(variant.name) : undefined;
  if (!stage) return undefined;
  return { clientId, stage, version: ownVersionIn(variant.payload, clientId) ?? cohortVersion(stage) };
}

/**
 * Starts the SDK and waits for its `ready` event: it holds the flag, fresh from Unleash or from its backup, and
 * evaluates. start() returns once the first fetch and the backup load have both ended, so ready, if either brought the
 * flag, follows within the same turn; if neither did (Unleash down, no backup), ready never comes and the caller says why.
 */
async function startSdk(unleash: Unleash): Promise<void> {
  let heard!: () => void;
  const ready = new Promise<void>((resolve) => (heard = resolve));
  unleash.once(UnleashEvents.Ready, heard);
  try {
    await unleash.start();
    await Promise.race([ready, new Promise((resolve) => setImmediate(resolve))]);
  } finally {
    unleash.off(UnleashEvents.Ready, heard);
  }
}
