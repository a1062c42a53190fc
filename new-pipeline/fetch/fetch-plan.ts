import { configDir, type ClientConfig, type LoadedConfig, type PlatformSettings } from '../../core/config.js';
import { BoscoError } from '../../core/errors.js';
import { PLATFORMS, type Platform } from '../../core/metric-row.js';
import { connectorFor } from '../connectors/index.js';
import type { Connector } from '../connectors/types.js';
import { resolveCredential } from './credentials.js';
import type { FetchRequest } from './run-fetch.js';
import { checkConversions } from '../transform/conversions.js';

export interface FetchScope {
  /** Only these clients (ids from the config); all when empty. */
  clients?: readonly string[];
  /** Only these platforms; all when empty. */
  platforms?: readonly string[];
  /** Sends every platform's calls here (e.g. a `bosco sim serve` URL) instead of each platform's configured base URL. */
  baseUrl?: string;
}

export function checkPlatforms(names: readonly string[] | undefined): Platform[] | undefined {
  if (!names?.length) return undefined;
  const unknown = names.find((name) => !(PLATFORMS as readonly string[]).includes(name));
  if (unknown) throw new BoscoError('USAGE', `unknown platform '${unknown}'`, { hint: `platforms are ${PLATFORMS.join(', ')}` });
  return names as Platform[];
}

/** The configured clients in scope, each with only its accounts on the platforms in scope. */
export function clientsInScope(config: LoadedConfig['config'], scope: FetchScope): ClientConfig[] {
  if (config.clients.length === 0) {
    throw new BoscoError('USAGE', 'no clients are configured', { hint: 'add "clients": [{ "id": "...", "accounts": [{ "platform": "meta_ads", "accountId": "..." }] }] to bosco.config.json' });
  }
  const unknownClient = scope.clients?.find((id) => !config.clients.some((c) => c.id === id));
  if (unknownClient) {
    throw new BoscoError('UNKNOWN_CLIENT', `client '${unknownClient}' is not in the config`, { hint: `configured clients: ${config.clients.map((c) => c.id).slice(0, 10).join(', ')}` });
  }
  const platforms = checkPlatforms(scope.platforms);
  return config.clients
    .filter((c) => !scope.clients?.length || scope.clients.includes(c.id))
    .map((c) => ({ ...c, accounts: c.accounts.filter((a) => !platforms || platforms.includes(a.platform)) }));
}

/**
 * Everything a fetch of one day needs from the config: the clients in scope, a connector per platform used, and
 * each platform's base URL and credential (from the environment or a secret file; missing ones fail here, before
 * any call is made).
 */
export function planFetch(loaded: LoadedConfig, date: string, runId: string, scope: FetchScope = {}): FetchRequest {
  const { config } = loaded;
  // Before any call: a conversion the connector cannot fetch would make the day's numbers wrong, not fail.
  checkConversions(config, loaded.file ?? 'embedded defaults');
  const clients = clientsInScope(config, scope);
  const used = new Set(clients.flatMap((c) => c.accounts.map((a) => a.platform)));
  const connectors = new Map<Platform, Connector>();
  const endpoints = new Map<Platform, { baseUrl: string; credential: string; settings?: PlatformSettings }>();
  const baseDir = configDir(loaded);
  for (const platform of used) {
    const settings = config.platforms[platform];
    const connector = connectorFor(platform);
    connectors.set(platform, connector);
    endpoints.set(platform, {
      baseUrl: scope.baseUrl ?? settings?.baseUrl ?? connector.defaultBaseUrl,
      credential: resolveCredential(platform, settings, baseDir),
      settings,
    });
  }
  return {
    runId,
    date,
    clients,
    connectors,
    endpoints,
    workspaceDir: loaded.workspaceDir,
    sockets: config.fetch.sockets,
    partitionConcurrency: config.fetch.partitions,
  };
}
