import { loadConfig } from '../../core/config.js';
import { resolveReportDate } from '../../core/dates.js';
import { openWarehouse } from '../../core/warehouse/index.js';
import { DEMO_DISCREPANCIES, seedDemoWorkspace } from '../../reconcile/demo-workspace.js';
import { reconcileCommand, type OutputFormat } from './reconcile.js';

export interface DemoOptions {
  config?: string;
  format?: OutputFormat;
  write?: (text: string) => void;
  isTTY?: boolean;
}

/** `bosco demo`: seeds the embedded workspace and reconciles yesterday. Differences are the point, so it exits 0. */
export async function demoCommand(options: DemoOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const loaded = await loadConfig({ explicitPath: options.config });
  const yesterday = resolveReportDate('yesterday', loaded.config.reportingTimeZone);
  const warehouse = await openWarehouse(loaded);
  let seed;
  try {
    seed = await seedDemoWorkspace(warehouse, yesterday);
  } finally {
    await warehouse.close();
  }
  write(
    `Seeded ${loaded.warehousePath}: ${seed.clients} clients, ${seed.firstDate} to ${seed.lastDate}, ` +
      `${seed.legacyRows.toLocaleString('en-US')} legacy rows and ${seed.newRows.toLocaleString('en-US')} new rows.\n` +
      `Planted discrepancies: ${Object.entries(DEMO_DISCREPANCIES).map(([client, what]) => `${client} (${what})`).join('; ')}.\n\n`,
  );
  await reconcileCommand({ date: yesterday, config: options.config, format: options.format ?? 'table', write, isTTY: options.isTTY });
  write(`\nNext: bosco reconcile --date ${yesterday} --client kestrel-home --rows   (drill into one client)\n`);
  return 0;
}
