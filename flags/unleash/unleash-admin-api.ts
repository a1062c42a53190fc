import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BoscoError, messageOf } from '../../core/errors.js';
import { getLogger } from '../../core/logger.js';
import { CLIENT_FIELD, type StrategyLike } from './unleash-flag-model.js';

const REQUEST_TIMEOUT_MS = 10_000;
/** How long a writer waits for another writer of the same client to finish (a write takes well under a second). */
const LOCK_WAIT_MS = 5_000;
/** A lock older than this, by the server's clock, was left by a crashed writer and is removed. */
const STALE_LOCK_MS = 60_000;
/** A writer that has held its lock this long writes nothing, so it never writes after its lock could be taken as stale. */
const LOCK_LEASE_MS = 30_000;

export interface AdminStrategy extends StrategyLike {
  id: string;
  sortOrder?: number;
}

/** The flag in the configured environment, as the admin API shows it. */
export interface AdminFlagState {
  enabled: boolean;
  strategies: AdminStrategy[];
}

export interface UnleashAdminOptions {
  /** Unleash's API root (`…/api`). */
  url: string;
  token: string;
  /** Where the token comes from (an environment variable), named in errors; never the token. */
  tokenSource: string;
  project: string;
  environment: string;
}

interface Answer {
  status: number;
  body: unknown;
  /** The server's clock when it answered, in ms. */
  date: number;
}

/**
 * The few admin API calls a stage write needs. Unleash has no compare-and-set for strategies, so writes of one
 * client are serialised by a lock: a context field named for the flag and client, which only one writer can
 * create (Unleash refuses a second with 409) and which the writer deletes when done.
 */
export class UnleashAdminApi {
  constructor(private readonly options: UnleashAdminOptions) {}

  /** The flag's state in the environment; undefined when the flag does not exist yet. */
  async flag(flagName: string): Promise<AdminFlagState | undefined> {
    const answer = await this.request('GET', this.featurePath(flagName), undefined, [404]);
    if (answer.status === 404) return undefined;
    const feature = answer.body as { environments?: Array<{ name: string; enabled: boolean; strategies: AdminStrategy[] }> };
    const environment = feature.environments?.find((e) => e.name === this.options.environment);
    if (!environment) {
      throw new BoscoError('CONFIG_INVALID', `the Unleash flag '${flagName}' has no environment '${this.options.environment}'`, {
        hint: `set flags.store.environment to one of: ${(feature.environments ?? []).map((e) => e.name).join(', ') || '(none)'}`,
      });
    }
    const strategies = [...environment.strategies].sort((a, b) => (a.sortOrder ?? 0) - (b.sortOrder ?? 0));
    return { enabled: environment.enabled, strategies };
  }

  /** Creates the flag, and the `clientId` context field its constraints and stickiness use; both may exist already. */
  async createFlag(flagName: string): Promise<void> {
    await this.request('POST', '/admin/context', { name: CLIENT_FIELD, description: 'The Bosco client a migration stage is resolved for', stickiness: true }, [409]);
    await this.request(
      'POST',
      `/admin/projects/${encodeURIComponent(this.options.project)}/features`,
      // `permission` flags are expected to live for good: Unleash does not call a months-long migration stale.
      { name: flagName, type: 'permission', description: 'Bosco: each client\'s migration stage (legacy, shadow, live, complete), one strategy per client or cohort' },
      [409],
    );
  }

  async createStrategy(flagName: string, strategy: object): Promise<void> {
    await this.request('POST', `${this.environmentPath(flagName)}/strategies`, strategy);
  }

  /** Applies a JSON patch to a strategy; false when one of its `test` operations failed (the strategy had changed). */
  async patchStrategy(flagName: string, strategyId: string, operations: object[]): Promise<boolean> {
    const answer = await this.request('PATCH', `${this.environmentPath(flagName)}/strategies/${encodeURIComponent(strategyId)}`, operations, [500]);
    if (answer.status === 200) return true;
    if (/TEST_OPERATION_FAILED/.test(messageIn(answer.body))) return false;
    throw this.failure('PATCH', 'strategy', answer);
  }

  async enable(flagName: string): Promise<void> {
    await this.request('POST', `${this.environmentPath(flagName)}/on`);
  }

  /**
   * Runs `work` holding the write lock of one client of the flag. `work` calls `lease()` right before it changes
   * anything: it throws once the lock has been held so long that another writer could have taken it as stale.
   */
  async withClientLock<T>(flagName: string, clientId: string, work: (lease: () => void) => Promise<T>): Promise<T> {
    const name = `bosco-lock-${createHash('sha256').update(`${flagName}\0${clientId}`).digest('hex').slice(0, 24)}`;
    const description = `Bosco is writing the stage of client ${JSON.stringify(clientId)} on flag ${flagName}; removed when done, or by the next writer after ${STALE_LOCK_MS / 1000} s`;
    const waitUntil = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      const created = await this.request('POST', '/admin/context', { name, description }, [409, 500]);
      // Two writers racing to create it: the loser's insert breaks the unique key, which Unleash answers with a 500.
      const taken = created.status === 409 || (created.status === 500 && /duplicate key|unique constraint/i.test(messageIn(created.body)));
      if (created.status === 500 && !taken) throw this.failure('POST', 'lock', created);
      if (!taken) break;
      const held = await this.request('GET', `/admin/context/${name}`, undefined, [404]);
      if (held.status === 404) continue;
      const createdAt = Date.parse((held.body as { createdAt?: string }).createdAt ?? '');
      if (held.date - createdAt > STALE_LOCK_MS) {
        await this.request('DELETE', `/admin/context/${name}`, undefined, [404]);
        continue;
      }
      if (Date.now() > waitUntil) {
        throw new BoscoError('WORKSPACE_LOCKED', `client '${clientId}' stayed locked in Unleash for ${LOCK_WAIT_MS / 1000} s (context field ${name})`, {
          hint: `another bosco flags command is changing this client; if none is running, the lock goes by itself ${STALE_LOCK_MS / 1000} s after it was taken`,
        });
      }
      await sleep(50 + Math.random() * 100);
    }
    const acquiredAt = Date.now();
    const lease = () => {
      if (Date.now() - acquiredAt > LOCK_LEASE_MS) {
        throw new BoscoError('SOURCE_UNREACHABLE', `Unleash answered too slowly: the write lock of client '${clientId}' was held over ${LOCK_LEASE_MS / 1000} s, so nothing was written`, {
          hint: 'check Unleash\'s health, then try again',
        });
      }
    };
    try {
      return await work(lease);
    } finally {
      await this.request('DELETE', `/admin/context/${name}`, undefined, [404]).catch((error: unknown) => {
        getLogger().warn({ lock: name, clientId, reason: messageOf(error) }, 'could not release the Unleash write lock; it goes by itself once stale');
      });
    }
  }

  private featurePath(flagName: string): string {
    return `/admin/projects/${encodeURIComponent(this.options.project)}/features/${encodeURIComponent(flagName)}`;
  }

  private environmentPath(flagName: string): string {
    return `${this.featurePath(flagName)}/environments/${encodeURIComponent(this.options.environment)}`;
  }

  /** One admin call; statuses outside 2xx and `tolerated` become BoscoErrors. */
  private async request(method: string, path: string, body?: unknown, tolerated: number[] = []): Promise<Answer> {
    let response: Response;
    try {
      response = await fetch(`${this.options.url.replace(/\/+$/, '')}${path}`, {
        method,
        headers: { authorization: this.options.token, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new BoscoError('SOURCE_UNREACHABLE', `cannot reach the Unleash admin API at ${this.options.url}: ${messageOf(error)}`, {
        hint: 'check flags.store.url and that Unleash is up; a change in flight may or may not have been applied, so read the client again (bosco flags get)',
        cause: error,
      });
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (a proxy's error page): kept as text for the message.
    }
    const answer = { status: response.status, body: parsed, date: Date.parse(response.headers.get('date') ?? '') || Date.now() };
    if (response.ok || tolerated.includes(response.status)) return answer;
    throw this.failure(method, path, answer);
  }

  private failure(method: string, what: string, answer: Answer): BoscoError {
    const said = messageIn(answer.body).slice(0, 300);
    if (answer.status === 401 || answer.status === 403) {
      return new BoscoError('CREDENTIALS_MISSING', `Unleash refused the admin token from ${this.options.tokenSource} (HTTP ${answer.status}): ${said}`, {
        hint: `set ${this.options.tokenSource} to an admin API token, or a service account token allowed to change flags and context fields in project ${this.options.project}`,
      });
    }
    if (answer.status >= 500) {
      return new BoscoError('SOURCE_UNREACHABLE', `Unleash failed ${method} ${what} (HTTP ${answer.status}): ${said}`, { hint: 'check Unleash\'s health and logs, then try again' });
    }
    return new BoscoError('CONFIG_INVALID', `Unleash refused ${method} ${what} (HTTP ${answer.status}): ${said}`, {
      hint: `check flags.store (url, project ${this.options.project}, environment ${this.options.environment}); every client with a stage of its own is one strategy, so Unleash's strategy limit per flag (UNLEASH_FEATURE_ENVIRONMENT_STRATEGIES_LIMIT, default 30) may need raising`,
    });
  }
}

function messageIn(body: unknown): string {
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : JSON.stringify(body ?? '');
}
