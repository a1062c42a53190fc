import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BoscoError, EXIT, isBoscoError } from '../core/errors.js';
import { configureLogger } from '../core/logger.js';
import { shutdownTelemetry, startTelemetry, telemetryWanted } from '../core/telemetry.js';
import { TOOL_VERSION } from '../core/version.js';

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return Number(value);
}

// The value is optional, so `bosco --otel reconcile` would take the command name for it: refuse anything but a URL.
function otlpEndpoint(value: string): string {
  if (!/^https?:\/\//i.test(value) || !URL.canParse(value)) {
    throw new InvalidArgumentError('expected an http(s) URL such as http://127.0.0.1:4318 (or put --otel after the command to use the default).');
  }
  return value;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((part) => part.trim()).filter(Boolean)];
}

/**
 * Declares commands and options only; each handler lives in commands/ and is called directly by tests.
 * Handlers are imported when their command runs, so a reconcile never loads the pipeline, the simulator or
 * their dependencies.
 */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('bosco')
    .description('Migration toolkit for the Ask Bosco platform: shadow runs, reconciliation and per-client cutover.')
    .version(TOOL_VERSION)
    .option('--config <file>', 'config file (default: bosco.config.json or bosco.config.ts in this folder, else embedded defaults)')
    .option('--log-level <level>', 'log level: trace, debug, info, warn, error, silent')
    .option('--debug', 'print stack traces of errors')
    .option('--otel [endpoint]', 'export traces and metrics over OTLP/HTTP (default endpoint: OTEL_EXPORTER_OTLP_ENDPOINT, else http://127.0.0.1:4318)', otlpEndpoint)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.hook('preAction', async () => {
    const { logLevel: level, otel } = program.opts<{ logLevel?: string; otel?: string | true }>();
    if (level) configureLogger({ level });
    if (telemetryWanted(otel)) await startTelemetry({ endpoint: typeof otel === 'string' ? otel : undefined, serviceName: 'bosco' });
  });
  const globals = () => program.opts<{ config?: string }>();

  program
    .command('reconcile')
    .description('compare legacy and new rows for one day, per client, metric and row')
    .requiredOption('--date <date>', 'reporting day: YYYY-MM-DD, yesterday or today (in the reporting time zone)')
    .option('--legacy <uri>', 'legacy source: file (.csv .parquet .jsonl .ndjson), duckdb:<path>?table=<t>, postgres://…?table=<schema.table>, warehouse:<table>')
    .option('--new <uri>', 'new source, same kinds as --legacy')
    .option('--legacy-mapping <name>', 'mapping (from config, or bosco_legacy_v1) that turns the legacy table into MetricRow columns')
    .option('--new-mapping <name>', 'mapping for the new source')
    .option('--client <id>', 'only this client')
    .option('--metric <name>', 'only these metrics (repeat or comma-separate)', collect)
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, else json)').choices(['table', 'markdown', 'json']))
    .option('--rows', 'include row-level differences')
    .option('--limit <n>', 'most row-level differences to show (default 1000)', positiveInteger)
    .action(async (options) => setExitCode(await (await import('./commands/reconcile.js')).reconcileCommand({ ...options, config: globals().config })));

  program
    .command('demo')
    .description('the whole dual run on embedded defaults: simulator, legacy emulator and shadow runs for 20 clients, then yesterday’s reconcile and the cutover dashboard')
    .option('--days <n>', 'days of dual run ending yesterday (default 14)', positiveInteger)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'markdown', 'json']))
    .action(async (options) => setExitCode(await (await import('./commands/demo.js')).demoCommand({ ...options, config: globals().config })));

  const pipeline = program.command('pipeline').description('the new pipeline: fetch raw data from the platforms');
  pipeline
    .command('fetch')
    .description('fetch one day from every connected account and land raw payloads in the workspace')
    .requiredOption('--date <date>', 'reporting day: YYYY-MM-DD, yesterday or today')
    .option('--client <id>', 'only this client (repeat or comma-separate)', collect)
    .option('--platform <name>', 'only this platform (repeat or comma-separate)', collect)
    .option('--base-url <url>', "send every platform's calls to this URL (e.g. the one `bosco sim serve` prints)")
    .addOption(new Option('--format <format>', 'summary format').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await import('./commands/pipeline.js')).pipelineFetchCommand({ ...options, config: globals().config })));
  pipeline
    .command('parse')
    .description("print the records a saved API response body yields, as JSON lines (exit 2 with the field path if it does not match the API's schema)")
    .requiredOption('--platform <name>', 'the platform whose API produced the body')
    .argument('<file>', 'the saved response body (JSON)')
    .option('--account <id>', 'the account the body belongs to')
    .option('--date <date>', 'the day the body reports, YYYY-MM-DD')
    .option('--purpose <purpose>', "which of the connector's requests the body answers (default: its report)")
    .action(async (file: string, options) => setExitCode(await (await import('./commands/pipeline.js')).pipelineParseCommand({ ...options, file })));
  // The steps after fetch are loaded only when used: a reconcile never pays for the pipeline's modules.
  const steps = () => import('./commands/pipeline-steps.js');
  const partitionOptions = (command: Command) =>
    command
      .option('--client <id>', 'only this client (repeat or comma-separate)', collect)
      .option('--platform <name>', 'only this platform (repeat or comma-separate)', collect)
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']));
  partitionOptions(pipeline.command('run').description('fetch, transform, check and load one day into the serving tables'))
    .requiredOption('--date <date>', 'reporting day: YYYY-MM-DD, yesterday or today')
    .option('--base-url <url>', "send every platform's calls to this URL (e.g. the one `bosco sim serve` prints)")
    .action(async (options) => setExitCode(await (await steps()).pipelineRunCommand({ ...options, config: globals().config })));
  partitionOptions(pipeline.command('transform').description('turn landed raw payloads of a day into checked, staged canonical rows'))
    .requiredOption('--date <date>', 'reporting day: YYYY-MM-DD, yesterday or today')
    .action(async (options) => setExitCode(await (await steps()).pipelineTransformCommand({ ...options, config: globals().config })));
  partitionOptions(pipeline.command('load').description("replace the warehouse's partitions of a day with the staged rows, with lineage"))
    .requiredOption('--date <date>', 'reporting day: YYYY-MM-DD, yesterday or today')
    .action(async (options) => setExitCode(await (await steps()).pipelineLoadCommand({ ...options, config: globals().config })));
  partitionOptions(pipeline.command('replay').description('re-transform and reload landed payloads over a range of days, calling no API'))
    .requiredOption('--from <date>', 'first day')
    .requiredOption('--to <date>', 'last day')
    .action(async (options) => setExitCode(await (await steps()).pipelineReplayCommand({ ...options, config: globals().config })));

  const shadowCommands = () => import('./commands/shadow.js');
  const shadow = program.command('shadow').description('the dual run: the new pipeline beside the legacy system, reconciled per client and day');
  const shadowOptions = (command: Command) =>
    command
      .option('--client <id>', 'only these clients (repeat or comma-separate)', collect)
      .option('--resume', 'skip the steps an interrupted run of the same days already finished')
      .option('--concurrency <n>', 'clients run at once (default: shadow.concurrency, 4)', positiveInteger)
      .option('--base-url <url>', "send every platform's calls to this URL (e.g. the one `bosco sim serve` prints)")
      .option('--dispatch', 'publish one job per client and day to the bus for `bosco worker` processes, instead of running here')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']));
  shadowOptions(shadow.command('run').description('fetch and load the new side into the shadow namespace, snapshot legacy, reconcile'))
    .requiredOption('--date <date>', 'reporting day: YYYY-MM-DD, yesterday or today')
    .action(async (options) => setExitCode(await (await shadowCommands()).shadowRunCommand({ ...options, config: globals().config })));
  shadowOptions(shadow.command('backfill').description('the shadow run over a range of days, oldest first'))
    .requiredOption('--from <date>', 'first day')
    .requiredOption('--to <date>', 'last day')
    .action(async (options) => setExitCode(await (await shadowCommands()).shadowBackfillCommand({ ...options, config: globals().config })));

  program
    .command('legacy')
    .description('the legacy system emulator: the old pipeline, quirks included, for demos and dual-run tests')
    .command('run')
    .description('pull one day the way the legacy system did and write its export (legacy_export.daily_stats)')
    .requiredOption('--date <date>', 'reporting day: YYYY-MM-DD, yesterday or today')
    .option('--base-url <url>', "send every platform's calls to this URL (e.g. the one `bosco sim serve` prints)")
    .option('--target <uri>', 'postgres://user@host:port/db[?table=<schema.table>] or duckdb:<path>[?table=…] (default: the workspace warehouse)')
    .option('--client <id>', 'only these clients (repeat or comma-separate)', collect)
    .option('--quirks <json|file>', 'legacy behaviours to reproduce, e.g. {"utcDays":{"clients":["kestrel-home"]}}')
    .addOption(new Option('--format <format>', 'summary format').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await import('./commands/legacy.js')).legacyRunCommand({ ...options, config: globals().config })));

  const flagCommands = () => import('./commands/flags.js');
  const flags = program.command('flags').description("per-client migration stages: legacy → shadow → live → complete");
  const actorOption = (command: Command) => command.option('--actor <name>', 'who makes the change, for the audit log (default: BOSCO_ACTOR or the OS user)');
  const formatOption = () => new Option('--format <format>', 'output format').choices(['table', 'json']);
  flags
    .command('list')
    .description('every client and its stage')
    .option('--stage <stage>', 'only clients in this stage')
    .addOption(formatOption())
    .action(async (options) => setExitCode(await (await flagCommands()).flagsListCommand({ ...options, config: globals().config })));
  flags
    .command('get')
    .description("a client's stage")
    .argument('<client>', 'client id')
    .addOption(formatOption())
    .action(async (client: string, options) => setExitCode(await (await flagCommands()).flagsGetCommand({ ...options, client, config: globals().config })));
  actorOption(flags.command('set').description("set a client's stage: an adjacent stage, or any with --force"))
    .argument('<client>', 'client id')
    .argument('<stage>', 'legacy, shadow, live or complete')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .option('--force', 'allow skipping stages (recorded as an override)')
    .addOption(formatOption())
    .action(async (client: string, stage: string, options) => setExitCode(await (await flagCommands()).flagsSetCommand({ ...options, client, stage, config: globals().config })));
  actorOption(flags.command('promote').description('move a client one stage forward if its gate passes'))
    .argument('<client>', 'client id')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .option('--force', 'promote although the gate is closed (recorded as an override)')
    .option('--dry-run', 'show the gate and what would happen, change nothing')
    .option('--expect <stage>', 'the stage you saw: refuse (a conflict) if the client has moved since')
    .addOption(formatOption())
    .action(async (client: string, options) => setExitCode(await (await flagCommands()).flagsPromoteCommand({ ...options, client, config: globals().config })));
  actorOption(flags.command('rollback').description('move a client back at once: live → shadow, shadow → legacy'))
    .argument('<client>', 'client id')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .option('--dry-run', 'show what would happen, change nothing')
    .option('--expect <stage>', 'the stage you saw: refuse (a conflict) if the client has moved since')
    .addOption(formatOption())
    .action(async (client: string, options) => setExitCode(await (await flagCommands()).flagsRollbackCommand({ ...options, client, config: globals().config })));
  flags
    .command('history')
    .description("a client's stage changes and accepted differences, from the append-only audit log")
    .argument('<client>', 'client id')
    .addOption(formatOption())
    .action(async (client: string, options) => setExitCode(await (await flagCommands()).flagsHistoryCommand({ ...options, client, config: globals().config })));
  actorOption(program.command('accept').description('accept a known difference for a client: gates treat it as clean until it expires'))
    .requiredOption('--client <id>', 'client id')
    .requiredOption('--metric <name>', 'spend, impressions, clicks, conversions, revenue, or rows')
    .requiredOption('--from <date>', 'first day covered')
    .requiredOption('--to <date>', 'last day covered')
    .requiredOption('--reason <text>', 'why the difference is acceptable (recorded in the audit log)')
    .requiredOption('--expires <date>', 'last day the exception holds')
    .addOption(formatOption())
    .action(async (options) => setExitCode(await (await flagCommands()).acceptCommand({ ...options, config: globals().config })));

  program
    .command('alerts')
    .description('webhook alerts from the event bus')
    .command('watch')
    .description('post the configured webhooks about missed SLAs, failed quality, failing reconciles and automatic rollbacks')
    .option('--idle-exit <seconds>', 'stop when no event has come for this long (default: run until interrupted)', positiveInteger)
    .action(async (options) => setExitCode(await (await import('./commands/alerts.js')).alertsWatchCommand({ ...options, config: globals().config })));

  program
    .command('worker')
    .description('take shadow jobs from the bus and run them; run any number, on any machines sharing the bus')
    .option('--idle-exit <seconds>', 'stop when no job has come for this long (default: run until interrupted)', positiveInteger)
    .option('--base-url <url>', "send every platform's calls to this URL (e.g. the one `bosco sim serve` prints)")
    .action(async (options) => setExitCode(await (await shadowCommands()).workerCommand({ ...options, config: globals().config })));

  const sla = program.command('sla').description("the 08:00 deadline: yesterday's data ready by 08:00 in each client's time zone");
  sla
    .command('check')
    .description('record every client-day still without data after its deadline as missed and emit sla.missed; exit 1 if any (for a scheduler)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await shadowCommands()).slaCheckCommand({ ...options, config: globals().config })));
  sla
    .command('report')
    .description('per client, the shadow days complete by the deadline; exit 1 if any day missed')
    .requiredOption('--from <date>', 'first day')
    .requiredOption('--to <date>', 'last day')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await shadowCommands()).slaReportCommand({ ...options, config: globals().config })));

  program
    .command('lineage')
    .description('where numbers came from')
    .command('show')
    .description("a client's day: each platform's load, its raw payload file (checked against its sha256; exit 1 if missing or changed), versions and account facts")
    .requiredOption('--client <id>', 'client id')
    .requiredOption('--date <date>', 'reporting day')
    .option('--platform <name>', 'only this platform')
    .option('--namespace <name>', 'read <name>.partition_lineage, e.g. shadow (default: the serving tables)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await steps()).lineageShowCommand({ ...options, config: globals().config })));
  program
    .command('quality')
    .description('data quality of the new pipeline')
    .command('report')
    .description("each partition's latest quality result for a day; exit 1 if any is quarantined")
    .requiredOption('--date <date>', 'reporting day')
    .option('--namespace <name>', 'read <name>.partition_quality, e.g. shadow (default: the serving tables)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await steps()).qualityReportCommand({ ...options, config: globals().config })));
  program
    .command('fx')
    .description('FX rates the pipeline converts currencies with')
    .command('import')
    .description('seed the rates table from a CSV with columns date, base, quote, rate')
    .argument('<file>', 'the CSV file')
    .action(async (file: string) => setExitCode(await (await steps()).fxImportCommand({ file, config: globals().config })));

  const sim = program.command('sim').description('the platform simulator: a loopback stand-in for the real APIs');
  sim
    .command('serve')
    .description('serve the five platform APIs on 127.0.0.1 until interrupted')
    .option('--port <port>', 'port (default: any free one)', (value) => Number.parseInt(value, 10))
    .option('--seed <n>', 'data seed', (value) => Number.parseInt(value, 10))
    .option('--token <token>', "the credential every platform expects (default 'sim-token')")
    .option('--developer-token <token>', 'the developer-token header Google Ads then requires, as the real API does (default: not checked)')
    .option('--faults <json|file>', 'faults to inject, as JSON or a JSON file')
    .option('--spike <accountId>', 'accounts with ten times the usual volume (repeat or comma-separate)', collect)
    .action(async (options) => setExitCode(await (await import('./commands/sim.js')).simServeCommand(options)));

  const serveCommands = () => import('./commands/serve.js');
  const serve = program
    .command('serve')
    .description('the serving API (metrics routed by each client\'s stage) and the cutover dashboard, until interrupted')
    .option('--port <port>', 'port (default: serve.port, 8787; 0 picks a free one)')
    .option('--host <address>', 'interface to listen on (default: serve.host, 127.0.0.1)')
    .action(async (options) => setExitCode(await (await serveCommands()).serveCommand({ ...options, config: globals().config })));
  const keys = serve.command('keys').description('API keys for the serving API (only their hashes are stored)');
  keys
    .command('add')
    .description('make a key for one client (reads only that client) or an admin (runs the cutover); printed once')
    .option('--client <id>', 'the client the key reads')
    .option('--admin', 'an admin key, for promote and rollback from the dashboard')
    .option('--actor <name>', 'who an admin key acts as, in the audit log')
    .option('--id <id>', 'the key id (default: random)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await serveCommands()).serveKeysAddCommand({ ...options, config: globals().config })));
  keys
    .command('list')
    .description('key ids and what they may read (never the keys)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await serveCommands()).serveKeysListCommand({ ...options, config: globals().config })));
  keys
    .command('revoke')
    .description('remove a key from the keys file')
    .argument('<id>', 'key id')
    .action(async (id: string) => setExitCode(await (await serveCommands()).serveKeysRevokeCommand({ id, config: globals().config })));
  program
    .command('dashboard')
    .description('write the cutover dashboard as one self-contained HTML file (no support controls)')
    .requiredOption('--out <file>', 'the HTML file to write')
    .option('--days <n>', 'days of trend and SLA history ending today (default 30)', positiveInteger)
    .addOption(new Option('--format <format>', 'json prints the report on stdout').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await import('./commands/dashboard.js')).dashboardCommand({ ...options, config: globals().config })));

  const modelCommands = () => import('./commands/models.js');
  const models = program.command('models').description('forecasts of spend, conversions and revenue per campaign, written to the predictions table');
  models.command('run').description('forecast every running campaign from a day, 7 days ahead by default, into the predictions table')
    .requiredOption('--date <date>', 'last day of data to forecast from: YYYY-MM-DD, yesterday or today')
    .option('--client <id>', 'only these clients (repeat or comma-separate)', collect)
    .option('--namespace <name>', 'read <name>.metric_rows and write <name>.predictions, e.g. shadow (default: per client stage, shadow clients from shadow, the others from the serving tables)')
    .option('--dry-run', 'compute and show what would be written; write nothing')
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, else json)').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await modelCommands()).modelsRunCommand({ ...options, config: globals().config })));
  models.command('backtest').description('forecast from every day of a range and score against actuals and the same-weekday-last-week baseline; exit 1 unless the model beats it on every platform and metric')
    .requiredOption('--from <date>', 'first day forecast from').requiredOption('--to <date>', 'last day forecast from')
    .option('--client <id>', 'only these clients (repeat or comma-separate)', collect)
    .option('--namespace <name>', 'read <name>.metric_rows, e.g. shadow (default: the serving tables)')
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, else json)').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await modelCommands()).modelsBacktestCommand({ ...options, config: globals().config })));
  models.command('reconcile').description("the legacy system's predictions against the new ones for one forecast day: the reconcile engine and JSON contract, a forecast matching inside the other side's interval")
    .requiredOption('--date <date>', 'the day both sides forecast from: YYYY-MM-DD, yesterday or today')
    .requiredOption('--legacy <table>', "the legacy side's predictions table or view, e.g. legacy_export.predictions")
    .option('--new <table>', 'the new side (default: predictions, or <namespace>.predictions)')
    .option('--namespace <name>', 'the new side is <name>.predictions, e.g. shadow')
    .option('--client <id>', 'only this client').option('--model <name>', "only the new side's rows of this model (default: all)")
    .option('--rows', 'include row-level differences')
    .option('--limit <n>', 'most row-level differences to show (default reconcile.limit, 1000)', positiveInteger)
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, else json)').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await modelCommands()).modelsReconcileCommand({ ...options, config: globals().config })));
  program.command('insights').description("one client's forecast, budget pacing, anomalies and budget recommendations")
    .requiredOption('--client <id>', 'client id')
    .option('--date <date>', 'last day of data: YYYY-MM-DD, yesterday or today (default: yesterday)')
    .option('--namespace <name>', 'read <name>.metric_rows, e.g. shadow (default: as the client\'s stage says: shadow while in shadow, else the serving tables)')
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, else json)').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await modelCommands()).insightsCommand({ ...options, config: globals().config })));

  program
    .command('erase')
    .description("erase a departed client's data from the workspace (every table's rows in one transaction, its payloads and checkpoints), or with --order one person's Shopify orders")
    .requiredOption('--client <id>', 'the client (without --order: already removed from the config)')
    .option('--order <gid>', 'erase only this Shopify order (gid://shopify/Order/<digits>) from the landed payloads; repeat or comma-separate for more', collect)
    .option('--reason <text>', 'why (the request or ticket); required unless --dry-run')
    .option('--actor <name>', 'who erases, for the erasure event (default: BOSCO_ACTOR or the OS user)')
    .option('--dry-run', 'count what would be erased, erase nothing')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await import('./commands/erase.js')).eraseCommand({ ...options, config: globals().config })));

  program
    .command('retention')
    .description('what the workspace keeps, and for how long (config "retention")')
    .command('apply')
    .description('delete raw payloads, staged partitions, checkpoints and legacy snapshots past their retention (for a daily scheduler)')
    .option('--dry-run', 'count what would go, delete nothing')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await import('./commands/retention.js')).retentionApplyCommand({ ...options, config: globals().config })));

  program
    .command('config')
    .description('the config file: bosco.config.json, or --config')
    .command('check')
    .description('validate the config and say what will fail at run time (missing credentials, a dataset outside the EU); exit 1 on a warning')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await import('./commands/config.js')).configCheckCommand({ ...options, config: globals().config })));

  const runbookCommands = () => import('./commands/runbook.js');
  const runbook = program.command('runbook').description('operator runbooks: list them, print one, run the cutover pre-checks');
  runbook.command('list').description('every runbook, with when to use it')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (options) => setExitCode(await (await runbookCommands()).runbookListCommand(options)));
  runbook.command('show').description('print a runbook').argument('<name>', 'runbook name (bosco runbook list)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (name: string, options) => setExitCode(await (await runbookCommands()).runbookShowCommand({ ...options, name })));
  runbook.command('check').description("run a runbook's pre-checks against live state; exit 1 if any fails")
    .argument('<name>', 'runbook with automated pre-checks: cutover')
    .requiredOption('--client <id>', 'client id')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (name: string, options) => setExitCode(await (await runbookCommands()).runbookCheckCommand({ ...options, name, config: globals().config })));

  return program;
}

/** The only place that exits the process: prints one line (and a hint) for a known error, the stack with --debug. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : EXIT.badInput;
    }
    const debug = argv.includes('--debug');
    if (isBoscoError(error)) {
      process.stderr.write(`bosco: ${error.message}\n${error.hint ? `  hint: ${error.hint}\n` : ''}`);
      if (debug) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    const internal = new BoscoError('INTERNAL', error instanceof Error ? error.message : String(error));
    process.stderr.write(`bosco: unexpected error: ${internal.message}\n  hint: rerun with --debug and report the stack\n`);
    if (debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return internal.exitCode;
  } finally {
    await shutdownTelemetry();
  }
}
