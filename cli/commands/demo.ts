import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { openBus } from '../../core/bus/index.js';
import { loadConfig, type LoadedConfig } from '../../core/config.js';
import { resolveReportDate } from '../../core/dates.js';
import { BoscoError } from '../../core/errors.js';
import { openWarehouse } from '../../core/warehouse/index.js';
import { openStageStore } from '../../flags/index.js';
import { runModels } from '../../new-pipeline/models/run-models.js';
import { modelTables } from '../../new-pipeline/models/series.js';
import { startSimulator } from '../../new-pipeline/simulator/server.js';
import { newRunId } from '../../reconcile/reconcile.js';
import { SHADOW_NAMESPACE } from '../../shadow/shadow-tables.js';
import { DEMO_NIGHTLY_RUN, demoConfig, demoConfigFile, runDualRunDemo } from '../../shadow/demo/dual-run-demo.js';
import { writeDashboard } from './dashboard.js';
import { reconcileCommand, type OutputFormat } from './reconcile.js';

export interface DemoOptions {
  config?: string;
  format?: OutputFormat;
  /** Days of dual run ending yesterday. Default 14. */
  days?: number;
  write?: (text: string) => void;
  isTTY?: boolean;
}

/** Marks a workspace as the demo's own, which the demo may wipe and seed again. */
const DEMO_MARKER = 'DEMO';
/** The simulator's credential lives only in this process's environment, as a real token would. */
const CREDENTIAL_ENV = 'BOSCO_DEMO_TOKEN';
/** Where the written config expects the simulator after the demo: `bosco sim serve --port 4780`. */
const LATER_SIM_URL = 'http://127.0.0.1:4780';

/**
 * Whether the workspace holds nothing but a warehouse without tables: what an earlier command (a reconcile run
 * before any data existed, say) leaves behind. Anything else is somebody's data.
 */
async function holdsOnlyAnEmptyWarehouse(loaded: LoadedConfig): Promise<boolean> {
  const warehouseFiles = new Set([basename(loaded.warehousePath), `${basename(loaded.warehousePath)}.wal`]);
  if (!readdirSync(loaded.workspaceDir).every((name) => warehouseFiles.has(name))) return false;
  const warehouse = await openWarehouse(loaded);
  try {
    const [row] = await warehouse.query(`SELECT count(*) AS tables FROM information_schema.tables`);
    return Number(row?.tables) === 0;
  } finally {
    await warehouse.close();
  }
}

/** Empties the workspace for a fresh demo, refusing one that holds anything the demo did not make. */
async function resetWorkspace(loaded: LoadedConfig): Promise<void> {
  const dir = loaded.workspaceDir;
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, DEMO_MARKER)) && !(await holdsOnlyAnEmptyWarehouse(loaded))) {
    throw new BoscoError('USAGE', `the workspace ${dir} holds data the demo did not make`, {
      hint: 'run the demo in an empty folder, or point --config at a config with another "workspace"',
    });
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, DEMO_MARKER), 'This workspace was made by `bosco demo`, which may wipe it.\n');
}

/**
 * `bosco demo`: the whole dual run on embedded defaults. The platform simulator starts on 127.0.0.1, the legacy
 * emulator (with its known quirks) and the new pipeline run side by side for the last days for 20 clients in
 * shadow, each day is reconciled per client, and yesterday's reconcile is printed with why clients differ.
 * Differences are the point, so it exits 0.
 */
export async function demoCommand(options: DemoOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const base = await loadConfig({ explicitPath: options.config });
  const yesterday = resolveReportDate('yesterday', base.config.reportingTimeZone);
  const days = options.days ?? 14;
  await resetWorkspace(base);

  // With no config of its own, the folder gets the demo's, so flags, dashboard and shadow runs work afterwards
  // against `bosco sim serve --port 4780` and BOSCO_DEMO_TOKEN=sim-token.
  const wroteConfig = base.file === undefined;
  if (wroteConfig) writeFileSync(join(process.cwd(), 'bosco.config.json'), JSON.stringify(demoConfigFile(base, LATER_SIM_URL, CREDENTIAL_ENV), null, 2) + '\n');
  const sim = await startSimulator();
  process.env[CREDENTIAL_ENV] = sim.token;
  const loaded = demoConfig(base, sim.url, CREDENTIAL_ENV);
  const started = Date.now();
  const warehouse = await openWarehouse(loaded);
  const bus = openBus(loaded);
  const stages = await openStageStore(loaded);
  let findings;
  try {
    write(`Simulated platforms on ${sim.url} (a loopback stand-in for the real APIs). Dual run of ${loaded.config.clients.length} clients × ${days} days ending ${yesterday}, each night replayed as if run at ${DEMO_NIGHTLY_RUN} in the client's time zone:\n`);
    ({ findings } = await runDualRunDemo({
      loaded, warehouse, bus, stages, world: sim.world, simUrl: sim.url, credential: sim.token, lastDate: yesterday, days,
      onDay: (date, summary) => {
        const count = (status: string) => summary.results.filter((r) => r.status === status).length;
        write(`  ${date}: legacy written, shadow run ${summary.shadowRunId}: ${count('pass')} clean, ${count('fail')} differ, ${count('error')} could not run\n`);
      },
    }));
    // The models are a new-pipeline output like any other: while clients are in shadow they forecast from there.
    const models = await runModels(warehouse, { date: yesterday, config: loaded.config, tables: modelTables(SHADOW_NAMESPACE), runId: newRunId() });
    const forecast = models.clients.filter((c) => c.status === 'forecast').length;
    write(`  models: ${forecast} of ${models.clients.length} clients forecast from ${yesterday} into ${models.predictions_table} (bosco insights --client kestrel-home)\n`);
  } finally {
    await stages.close();
    await bus.close();
    await warehouse.close();
    await sim.close();
    delete process.env[CREDENTIAL_ENV];
  }
  write(
    `\nDone in ${((Date.now() - started) / 1000).toFixed(0)} s. The legacy emulator reproduced these known behaviours:\n` +
      findings.map((f) => `  ${f.clientId}: ${f.what}`).join('\n') +
      `\n\nYesterday's reconcile, legacy export against the shadow run:\n\n`,
  );
  await reconcileCommand({ date: yesterday, config: options.config, format: options.format ?? 'table', write, isTTY: options.isTTY });
  // Leadership's view of the same run: the cutover dashboard as one static file, from the same report the server serves.
  write('\n');
  await writeDashboard(loaded, { out: join(loaded.workspaceDir, 'cutover.html'), write });
  write(`\nNext: bosco reconcile --date ${yesterday} --client kestrel-home --rows   (drill into one client)\n`);
  if (wroteConfig) write(`Wrote bosco.config.json (the demo's clients); bosco flags list, bosco serve (its /dashboard) and later shadow runs use it.\n`);
  return 0;
}
