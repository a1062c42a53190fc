import { isAbsolute, join, resolve } from 'node:path';
import { configDir, type LoadedConfig } from '../core/config.js';
import { BoscoError } from '../core/errors.js';
import { LocalStageStore } from './local/local-stage-store.js';
import type { StageStore } from './types.js';

export type { Stage, StageChange, StageRecord, StageStore } from './types.js';

/**
 * Opens the clients' stage store as the config says (`flags.store`; without a config, the local store). The one
 * place that knows the vendors. The Unleash store waits for Unleash (or its backup) before it returns.
 */
export async function openStageStore(loaded: Pick<LoadedConfig, 'workspaceDir'> & Partial<Pick<LoadedConfig, 'config' | 'file'>>): Promise<StageStore> {
  const settings = loaded.config?.flags.store ?? { kind: 'local' };
  if (settings.kind === 'local') return new LocalStageStore(join(loaded.workspaceDir, 'flags', 'stages.json'));
  const clientToken = process.env[settings.apiTokenEnv];
  if (!clientToken) {
    throw new BoscoError('CREDENTIALS_MISSING', `reading stages from Unleash needs a client token in $${settings.apiTokenEnv}, which is not set`, {
      hint: `set ${settings.apiTokenEnv} to an Unleash backend API token, or set flags.store to { "kind": "local" }`,
    });
  }
  const backupPath = settings.backupPath
    ? isAbsolute(settings.backupPath)
      ? settings.backupPath
      : resolve(configDir(loaded), settings.backupPath)
    : join(loaded.workspaceDir, 'flags', 'unleash-backup.json');
  // Imported here so a workspace on the local store never loads the Unleash SDK.
  const { UnleashStageStore } = await import('./unleash/unleash-stage-store.js');
  return UnleashStageStore.open({
    url: settings.url,
    clientToken,
    adminToken: process.env[settings.adminTokenEnv] || undefined,
    tokenSources: { client: `$${settings.apiTokenEnv}`, admin: `$${settings.adminTokenEnv}` },
    backupPath,
    appName: settings.appName,
    environment: settings.environment,
    project: settings.project,
    flagName: settings.flagName,
    clients: loaded.config?.clients.map((c) => ({ id: c.id, agency: c.agency })),
  });
}
