// The baseline side of the bench: the FULL OUTER JOIN a person would write by hand to reconcile the two tables,
// run with the same DuckDB settings as the engine's warehouse. Prints per-client counts as JSON.
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { reportPeakRssAtExit } from './peak-rss.js';

reportPeakRssAtExit();

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    date: { type: 'string' },
    'memory-limit': { type: 'string' },
    threads: { type: 'string' },
    'temp-dir': { type: 'string' },
  },
});
const { file, date, threads } = values;
const memoryLimit = values['memory-limit'];
const tempDirectory = values['temp-dir'];
if (!file || !date || !memoryLimit || !threads || !tempDirectory) {
  throw new Error('usage: baseline.ts --file <duckdb> --date <YYYY-MM-DD> --memory-limit <size> --threads <n> --temp-dir <dir>');
}

const KEYS = ['client_id', 'date', 'platform', 'account_id', 'campaign_id'];
const TO_THE_CENT = ['spend', 'conversions', 'revenue'];
const EXACT = ['impressions', 'clicks'];

const both = 'l.client_id IS NOT NULL AND n.client_id IS NOT NULL';
const mismatches = [
  ...TO_THE_CENT.map((m) => `count(*) FILTER (WHERE ${both} AND abs(n.${m} - l.${m}) > 0.01 + 1e-9) AS mismatched_${m}`),
  ...EXACT.map((m) => `count(*) FILTER (WHERE ${both} AND n.${m} IS DISTINCT FROM l.${m}) AS mismatched_${m}`),
];
const day = `date = DATE '${date}'`;
const sql = `SELECT coalesce(l.client_id, n.client_id) AS client_id,
    count(*) FILTER (WHERE ${both}) AS matched,
    count(*) FILTER (WHERE n.client_id IS NULL) AS missing_in_new,
    count(*) FILTER (WHERE l.client_id IS NULL) AS missing_in_legacy,
    ${mismatches.join(',\n    ')}
  FROM (SELECT * FROM legacy WHERE ${day}) l
  FULL OUTER JOIN (SELECT * FROM new WHERE ${day}) n ON ${KEYS.map((k) => `l.${k} = n.${k}`).join(' AND ')}
  GROUP BY 1 ORDER BY 1`;

const instance = await DuckDBInstance.create(file, {
  access_mode: 'READ_ONLY',
  memory_limit: memoryLimit,
  threads,
  temp_directory: tempDirectory,
});
const connection = await instance.connect();
const reader = await connection.runAndReadAll(sql);
process.stdout.write(JSON.stringify(reader.getRowObjectsJson()) + '\n');
connection.closeSync();
instance.closeSync();
