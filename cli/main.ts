import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BoscoError, EXIT, isBoscoError } from '../core/errors.js';
import { configureLogger } from '../core/logger.js';
import { TOOL_VERSION } from '../core/version.js';
import { demoCommand } from './commands/demo.js';
import { pipelineFetchCommand, pipelineParseCommand } from './commands/pipeline.js';
import { reconcileCommand } from './commands/reconcile.js';
import { simServeCommand } from './commands/sim.js';

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return Number(value);
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((part) => part.trim()).filter(Boolean)];
}

/** Declares commands and options only; each handler lives in commands/ and is called directly by tests. */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('bosco')
    .description('Migration toolkit for the Ask Bosco platform: shadow runs, reconciliation and per-client cutover.')
    .version(TOOL_VERSION)
    .option('--config <file>', 'config file (default: bosco.config.json or bosco.config.ts in this folder, else embedded defaults)')
    .option('--log-level <level>', 'log level: trace, debug, info, warn, error, silent')
    .option('--debug', 'print stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.hook('preAction', () => {
    const level = program.opts<{ logLevel?: string }>().logLevel;
    if (level) configureLogger({ level });
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
    .action(async (options) => setExitCode(await reconcileCommand({ ...options, config: globals().config })));

  program
    .command('demo')
    .description('seed an embedded workspace with 20 clients × 14 days and reconcile yesterday')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'markdown', 'json']))
    .action(async (options) => setExitCode(await demoCommand({ ...options, config: globals().config })));

  const pipeline = program.command('pipeline').description('the new pipeline: fetch raw data from the platforms');
  pipeline
    .command('fetch')
    .description('fetch one day from every connected account and land raw payloads in the workspace')
    .requiredOption('--date <date>', 'reporting day: YYYY-MM-DD, yesterday or today')
    .option('--client <id>', 'only this client (repeat or comma-separate)', collect)
    .option('--platform <name>', 'only this platform (repeat or comma-separate)', collect)
    .option('--base-url <url>', "send every platform's calls to this URL (e.g. the one `bosco sim serve` prints)")
    .addOption(new Option('--format <format>', 'summary format').choices(['table', 'json']))
    .action(async (options) => setExitCode(await pipelineFetchCommand({ ...options, config: globals().config })));
  pipeline
    .command('parse')
    .description("print the records a saved API response body yields, as JSON lines (exit 2 with the field path if it does not match the API's schema)")
    .requiredOption('--platform <name>', 'the platform whose API produced the body')
    .argument('<file>', 'the saved response body (JSON)')
    .option('--account <id>', 'the account the body belongs to')
    .option('--date <date>', 'the day the body reports, YYYY-MM-DD')
    .option('--purpose <purpose>', "which of the connector's requests the body answers (default: its report)")
    .action(async (file: string, options) => setExitCode(await pipelineParseCommand({ ...options, file })));

  const sim = program.command('sim').description('the platform simulator: a loopback stand-in for the real APIs');
  sim
    .command('serve')
    .description('serve the five platform APIs on 127.0.0.1 until interrupted')
    .option('--port <port>', 'port (default: any free one)', (value) => Number.parseInt(value, 10))
    .option('--seed <n>', 'data seed', (value) => Number.parseInt(value, 10))
    .option('--token <token>', "the credential every platform expects (default 'sim-token')")
    .option('--faults <json|file>', 'faults to inject, as JSON or a JSON file')
    .option('--spike <accountId>', 'accounts with ten times the usual volume (repeat or comma-separate)', collect)
    .action(async (options) => setExitCode(await simServeCommand(options)));

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
  }
}
