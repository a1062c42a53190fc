import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { declareRunbookCommands } from '../runbooks/runbook-declaration.js';
import { extractBoscoLines, nameProblem, parseProblem, tokenize } from './bosco-lines.js';

const DOCUMENTS = [
  join(REPO_ROOT, 'docs', 'TASK2_ARCHITECTURE.md'),
  ...readdirSync(join(REPO_ROOT, 'runbooks')).filter((f) => f.endsWith('.md')).sort().map((f) => join(REPO_ROOT, 'runbooks', f)),
];

/** Every problem of a document's `bosco` lines, as `file:line: command → problem`. */
async function problemsOf(file: string): Promise<string[]> {
  const problems: string[] = [];
  for (const found of extractBoscoLines(file)) {
    const words = tokenize(found.text);
    const problem = found.kind === 'block' ? await parseProblem(words, declareRunbookCommands) : nameProblem(words, declareRunbookCommands);
    if (problem) problems.push(`${relative(REPO_ROOT, file)}:${found.line}: ${found.text} → ${problem}`);
  }
  return problems;
}

describe('the bosco commands the documents show', () => {
  it.each(DOCUMENTS.map((file) => [relative(REPO_ROOT, file), file]))('%s: every bosco line parses with the real commands and options', async (_name, file) => {
    expect(extractBoscoLines(file).length).toBeGreaterThan(0);
    expect(await problemsOf(file)).toEqual([]);
  });

  it('rejects an unknown command, an unknown option, a missing required option and a bad choice', async () => {
    expect(await parseProblem(tokenize('bosco flags frobnicate acme'))).toMatch(/unknown command/);
    expect(await parseProblem(tokenize('bosco shadow run --date yesterday --clients a'))).toMatch(/unknown option '--clients'/);
    expect(await parseProblem(tokenize('bosco flags promote acme'))).toMatch(/required option '--reason/);
    expect(await parseProblem(tokenize('bosco reconcile --date yesterday --format yaml'))).toMatch(/--format/);
    expect(await parseProblem(tokenize('bosco serve-everything'))).toMatch(/unknown command/);
    expect(nameProblem(tokenize('bosco flags frobnicate'))).toMatch(/unknown command 'flags frobnicate'/);
    expect(nameProblem(tokenize('bosco sla report --client acme'))).toMatch(/unknown option '--client'/);
  });

  it('accepts what operators type: quotes, variables, JSON in single quotes, comments and continuations', async () => {
    expect(await parseProblem(tokenize(`bosco flags promote $CLIENT --reason "gate passed; agency told" --dry-run # first look`))).toBeUndefined();
    expect(await parseProblem(tokenize(`bosco sim serve --port 4010 --faults '{"drift":{"platform":"meta_ads","kind":"rename"}}'`))).toBeUndefined();
    expect(nameProblem(tokenize('bosco flags set … --force'))).toBeUndefined();
    const [continued] = extractBoscoLines('x.md', '```sh\nbosco accept --client acme --metric conversions \\\n  --from 2026-11-01 --to 2026-11-30 --reason "r" --expires 2026-12-31\n```\n');
    expect(await parseProblem(tokenize(continued!.text))).toBeUndefined();
  });

  it('reads code blocks and code spans but not Mermaid diagrams', () => {
    const found = extractBoscoLines('x.md', ['Run `bosco flags list` first.', '```mermaid', 'bosco nonsense', '```', '```', 'bosco flags get acme', '```'].join('\n'));
    expect(found.map((f) => [f.kind, f.text])).toEqual([['inline', 'bosco flags list'], ['block', 'bosco flags get acme']]);
  });
});
