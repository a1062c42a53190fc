import { configDir, loadConfig, type LoadedConfig } from '../../core/config.js';
import { isBoscoError, messageOf } from '../../core/errors.js';
import type { Platform } from '../../core/metric-row.js';
import { resolveCredential } from '../../new-pipeline/fetch/credentials.js';
import { checkConversions } from '../../new-pipeline/transform/conversions.js';

/** What a config check found that will fail later, though the file itself is valid. */
export interface ConfigWarning {
  field: string;
  message: string;
}

/**
 * What the config leaves for run time to trip over: credentials it names but that are not there (read, never
 * shown), and a BigQuery dataset outside the EU (the platform's data must stay in the EU).
 */
export function configWarnings(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): ConfigWarning[] {
  const { config } = loaded;
  const warnings: ConfigWarning[] = [];
  const baseDir = configDir(loaded);
  const platforms = [...new Set(config.clients.flatMap((c) => c.accounts.map((a) => a.platform)))].sort() as Platform[];
  for (const platform of platforms) {
    try {
      resolveCredential(platform, config.platforms[platform], baseDir, env);
    } catch (error) {
      warnings.push({ field: `platforms.${platform}.credential`, message: isBoscoError(error) ? error.message : messageOf(error) });
    }
  }
  const store = config.flags.store;
  if (store?.kind === 'unleash') {
    if (!env[store.apiTokenEnv]) warnings.push({ field: 'flags.store.apiTokenEnv', message: `${store.apiTokenEnv} is not set: stages cannot be read from Unleash` });
    if (!env[store.adminTokenEnv]) warnings.push({ field: 'flags.store.adminTokenEnv', message: `${store.adminTokenEnv} is not set: stages can be read but not changed` });
  }
  if (config.warehouse.kind === 'bigquery' && !/^(EU|europe-)/i.test(config.warehouse.location ?? 'US')) {
    warnings.push({ field: 'warehouse.location', message: `the dataset is in ${config.warehouse.location ?? 'US (BigQuery’s default)'}, outside the EU: set an EU location for GDPR residency` });
  }
  return warnings;
}

/**
 * `bosco config check`: validates the config (a bad one fails as every command would, naming the field) and says
 * what it sets up and what will fail at run time. Exit 0 when nothing is wrong, 1 when a warning stands.
 */
export async function configCheckCommand(options: { config?: string; format?: 'table' | 'json'; write?: (text: string) => void }): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const { config } = loaded;
  checkConversions(config, loaded.file ?? 'embedded defaults');
  const warnings = configWarnings(loaded);
  const summary = {
    file: loaded.file ?? null,
    workspace: loaded.workspaceDir,
    warehouse: config.warehouse.kind === 'duckdb' ? `duckdb ${loaded.warehousePath}` : `bigquery ${config.warehouse.projectId}.${config.warehouse.dataset} (${config.warehouse.location ?? 'US'})`,
    bus: config.bus.kind,
    flag_store: config.flags.store?.kind ?? 'local',
    clients: config.clients.length,
    accounts: config.clients.reduce((sum, c) => sum + c.accounts.length, 0),
    alert_webhooks: config.alerts.webhooks.length,
    warnings,
  };
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  if (options.format === 'json') {
    write(JSON.stringify(summary) + '\n');
  } else {
    write(
      `${loaded.file ?? 'embedded defaults (no config file)'} is valid\n` +
        `  workspace   ${summary.workspace}\n  warehouse   ${summary.warehouse}\n  bus         ${summary.bus}\n  flag store  ${summary.flag_store}\n` +
        `  clients     ${summary.clients} (${summary.accounts} connected accounts), ${summary.alert_webhooks} alert webhook(s)\n` +
        warnings.map((w) => `warning: ${w.field}: ${w.message}\n`).join(''),
    );
  }
  return warnings.length > 0 ? 1 : 0;
}
