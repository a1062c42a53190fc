import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { buildProgram } from '../../cli/main.js';

/** One `bosco …` command found in a Markdown file. */
export interface BoscoLine {
  file: string;
  /** 1-based line where the command starts. */
  line: number;
  /** The command as written, continuation lines joined. */
  text: string;
  /** `block`: a line of a code block, parsed in full; `inline`: a `code span` in prose, checked for names only. */
  kind: 'block' | 'inline';
}

const COMMAND_START = /^(?:npx\s+)?bosco(?:\s|$)/;

/**
 * Every `bosco …` line of `file`'s code blocks (Mermaid excepted; `\` continuations joined; a `# comment` after the
 * command dropped by the tokenizer), and every code span in prose that starts with `bosco `.
 */
export function extractBoscoLines(file: string, text: string = readFileSync(file, 'utf8')): BoscoLine[] {
  const lines = text.split('\n');
  const found: BoscoLine[] = [];
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    const opening = /^(```+|~~~+)\s*([\w-]*)/.exec(trimmed);
    if (fence === undefined && opening) {
      fence = opening[2] === 'mermaid' ? 'mermaid' : 'code';
      continue;
    }
    if (fence !== undefined && /^(```+|~~~+)\s*$/.test(trimmed)) {
      fence = undefined;
      continue;
    }
    if (fence === 'mermaid') continue;
    if (fence === 'code') {
      if (!COMMAND_START.test(trimmed)) continue;
      const start = i;
      let command = trimmed;
      while (command.endsWith('\\') && i + 1 < lines.length) command = `${command.slice(0, -1).trimEnd()} ${lines[++i]!.trim()}`;
      found.push({ file, line: start + 1, text: command, kind: 'block' });
      continue;
    }
    for (const match of raw.matchAll(/`((?:npx\s+)?bosco\s[^`]*)`/g)) found.push({ file, line: i + 1, text: match[1]!.trim(), kind: 'inline' });
  }
  return found;
}

/**
 * Splits a shell command into words: single and double quotes, backslash escapes; stops at an unquoted `|`, `;`,
 * `&&`, `>` or a `#` starting a word (what follows is another command, a redirect or a comment).
 */
export function tokenize(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' in: ${command}`);
      word += command.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < command.length && command[j] !== '"'; j++) {
        if (command[j] === '\\' && j + 1 < command.length) j++;
        word += command[j];
      }
      if (j >= command.length) throw new Error(`unclosed " in: ${command}`);
      inWord = true;
      i = j;
    } else if (c === '\\' && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (!inWord && (c === '|' || c === ';' || c === '>' || c === '#' || (c === '&' && command[i + 1] === '&'))) {
      break;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words[0] === 'npx' ? words.slice(1) : words;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/** The program as the CLI builds it, with `extend` applied, silent, throwing instead of exiting, running no action. */
export function inertProgram(extend?: (program: Command) => void): Command {
  const program = buildProgram(() => undefined);
  extend?.(program);
  for (const command of allCommands(program)) {
    command.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
    // Only leaves have actions; a group keeps none, so an unknown subcommand stays an error.
    if ((command as unknown as { _actionHandler: unknown })._actionHandler) command.action(() => undefined);
  }
  return program;
}

/** Why `words` (starting with `bosco`) does not parse with the real commands and options; undefined when it does. */
export async function parseProblem(words: readonly string[], extend?: (program: Command) => void): Promise<string | undefined> {
  if (words[0] !== 'bosco') return `does not start with bosco: ${words.join(' ')}`;
  try {
    await inertProgram(extend).parseAsync(['node', ...words]);
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? undefined : error.message;
    throw error;
  }
}

const optionNames = (command: Command) => command.options.flatMap((o: Option) => [o.long, o.short]).filter((n): n is string => Boolean(n));

/**
 * For a code span in prose, which may leave out required values: the command path must exist and every `--option`
 * must be one of its own or a global one. Undefined when it does.
 */
export function nameProblem(words: readonly string[], extend?: (program: Command) => void): string | undefined {
  if (words[0] !== 'bosco') return `does not start with bosco: ${words.join(' ')}`;
  const program = inertProgram(extend);
  const path: Command[] = [program];
  let i = 1;
  for (; i < words.length; i++) {
    const word = words[i]!;
    if (word.startsWith('-')) break;
    const current = path[path.length - 1]!;
    const sub = current.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub) {
      path.push(sub);
      continue;
    }
    if (current.commands.length > 0) return `unknown command '${path.slice(1).map((c) => c.name()).concat(word).join(' ')}'`;
    break;
  }
  const known = new Set([...path.flatMap(optionNames), '--help', '-h', '--version', '-V']);
  for (const word of words.slice(i)) {
    if (!word.startsWith('--')) continue;
    const name = word.split('=')[0]!;
    if (!known.has(name)) return `unknown option '${name}' for 'bosco ${path.slice(1).map((c) => c.name()).join(' ')}'`;
  }
  return undefined;
}
