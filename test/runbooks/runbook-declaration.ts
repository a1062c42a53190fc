import { Command, Option } from 'commander';
import { buildProgram } from '../../cli/main.js';

/** Whether cli/main.ts registers `bosco runbook` yet (the lead adds it; until then tests declare it themselves). */
export function runbookRegistered(): boolean {
  return buildProgram(() => undefined).commands.some((command) => command.name() === 'runbook');
}

/**
 * The `bosco runbook` declaration proposed for cli/main.ts, used by tests only while the real one is missing, so the
 * documents' `bosco runbook …` lines are checked against the intended options either way.
 */
export function declareRunbookCommands(program: Command): void {
  if (program.commands.some((command) => command.name() === 'runbook')) return;
  const runbookCommands = () => import('../../cli/commands/runbook.js');
  const globals = () => program.opts<{ config?: string }>();
  const runbook = program.command('runbook').description('operator runbooks: list them, print one, run the cutover pre-checks');
  runbook
    .command('list')
    .description('every runbook, with when to use it')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (options) => void (await (await runbookCommands()).runbookListCommand(options)));
  runbook
    .command('show')
    .description('print a runbook')
    .argument('<name>', 'runbook name (bosco runbook list)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (name: string, options) => void (await (await runbookCommands()).runbookShowCommand({ ...options, name })));
  runbook
    .command('check')
    .description("run a runbook's pre-checks against live state; exit 1 if any fails")
    .argument('<name>', 'runbook with automated pre-checks: cutover')
    .requiredOption('--client <id>', 'client id')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .action(async (name: string, options) => void (await (await runbookCommands()).runbookCheckCommand({ ...options, name, config: globals().config })));
}
