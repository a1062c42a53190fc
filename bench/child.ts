import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

export interface ChildRun {
  ms: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  peakRssMb: number;
}

/**
 * Runs a bench script of this folder as a fresh process, the way every side starts (`node --import tsx`), timed
 * from spawn to exit, with the peak RSS it reports itself (peak-rss.ts) through `rssFile`.
 */
export function runChild(script: string, args: string[], options: { cwd: string; rssFile: string; env?: Record<string, string> }): Promise<ChildRun> {
  rmSync(options.rssFile, { force: true });
  const env = { ...process.env, BENCH_RSS_FILE: options.rssFile, BOSCO_LOG_LEVEL: 'warn', ...options.env };
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, script), ...args], { cwd: options.cwd, env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', fail);
    child.on('close', (exitCode) => {
      const ms = performance.now() - started;
      let peakRssMb = Number.NaN;
      try {
        peakRssMb = Number(readFileSync(options.rssFile, 'utf8')) / 1024;
        rmSync(options.rssFile);
      } catch {
        // The child died before its exit hook ran; its exit code fails the run.
      }
      done({ ms, exitCode, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString(), peakRssMb });
    });
  });
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
