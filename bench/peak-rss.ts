import { writeFileSync } from 'node:fs';

/**
 * Called first by every bench child: at exit the child writes its peak resident set size (KiB, as getrusage
 * reports it) to the file named by BENCH_RSS_FILE. Measured from inside, so it covers DuckDB's native memory and
 * no wrapper process is counted.
 */
export function reportPeakRssAtExit(): void {
  const file = process.env.BENCH_RSS_FILE;
  if (!file) return;
  process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
}
