import Table from 'cli-table3';
import { openBus } from '../../core/bus/index.js';
import { loadConfig } from '../../core/config.js';
import { resolveReportDate } from '../../core/dates.js';
import { BoscoError } from '../../core/errors.js';
import { warehousePerUse } from '../../core/warehouse/access.js';
import { openStageStore } from '../../flags/index.js';
import { listRunbooks, readRunbook, renderCheckReport, runbookChecks } from '../../runbooks/index.js';

interface Common {
  format?: 'table' | 'json';
  /** Where output goes; default stdout. */
  write?: (text: string) => void;
  /** The runbooks folder; default the repository's `runbooks/`. */
  dir?: string;
}

const writer = (options: Common) => options.write ?? ((text: string) => process.stdout.write(text));

/** `bosco runbook list`: every runbook, with when to use it. */
export async function runbookListCommand(options: Common = {}): Promise<number> {
  const runbooks = listRunbooks(options.dir);
  if (options.format === 'json') {
    writer(options)(JSON.stringify({ runbooks: runbooks.map(({ name, title, summary, checks }) => ({ name, title, summary, checks })) }) + '\n');
    return 0;
  }
  const table = new Table({ head: ['name', 'runbook', 'when to use it'], style: { head: [], border: [] }, colWidths: [null, null, 70], wordWrap: true });
  for (const r of runbooks) table.push([r.checks ? `${r.name} *` : r.name, r.title, r.summary]);
  writer(options)(`${table.toString()}\n* bosco runbook check ${runbooks.filter((r) => r.checks).map((r) => r.name).join('|')} --client <id> runs its pre-checks\nbosco runbook show <name> prints one\n`);
  return 0;
}

/** `bosco runbook show <name>`: the runbook's Markdown. */
export async function runbookShowCommand(options: Common & { name: string }): Promise<number> {
  const runbook = readRunbook(options.name, options.dir);
  writer(options)(options.format === 'json' ? JSON.stringify({ name: runbook.name, title: runbook.title, summary: runbook.summary, text: runbook.text }) + '\n' : runbook.text);
  return 0;
}

/**
 * `bosco runbook check <name> --client <id>`: runs the runbook's pre-checks against live state (the stage store,
 * the dual run's history in the warehouse) and prints each check. 0 when none failed, 1 when any did; 2 for an
 * unknown runbook or client. Changes no stage.
 */
export async function runbookCheckCommand(options: Common & { name: string; client?: string; config?: string }): Promise<number> {
  const checks = runbookChecks(options.name, options.dir);
  if (!options.client?.trim()) throw new BoscoError('USAGE', `bosco runbook check ${options.name} needs --client`, { hint: 'name the client: --client <id> (bosco flags list shows them)' });
  const loaded = await loadConfig({ explicitPath: options.config });
  const store = await openStageStore(loaded);
  const bus = openBus(loaded);
  try {
    const report = await checks.run(
      { store, warehouse: warehousePerUse(loaded), bus, clients: loaded.config.clients, settings: loaded.config.flags, today: resolveReportDate('today', loaded.config.reportingTimeZone) },
      options.client.trim(),
    );
    writer(options)(options.format === 'json' ? JSON.stringify(report) + '\n' : renderCheckReport(report));
    return report.pass ? 0 : 1;
  } finally {
    await bus.close();
    await store.close();
  }
}
