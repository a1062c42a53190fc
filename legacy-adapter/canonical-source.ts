import type { Mapping, SourceEntry } from '../core/config.js';
import { BoscoError } from '../core/errors.js';
import { CANONICAL_COLUMNS, KEY_COLUMNS, PLATFORMS } from '../core/metric-row.js';
import { inSpan } from '../core/telemetry.js';
import type { Warehouse } from '../core/warehouse/index.js';
import { BUILT_IN_MAPPINGS } from './legacy-schema.js';
import { compileMapping, resolveMapping, sourceColumnsOf, type CompiledMapping } from './mapping.js';
import { sourceReaderFor } from './sources/index.js';

export type SourceRole = 'legacy' | 'new';

export interface ResolvedSource {
  uri: string;
  mappingName?: string;
  mapping?: Mapping;
}

/** Turns a config or CLI source entry into a URI and its mapping; an unknown mapping name is a config error. */
export function resolveSource(entry: SourceEntry, mappings: Record<string, Mapping>, where: string): ResolvedSource {
  const { uri, mapping: mappingName } = typeof entry === 'string' ? { uri: entry, mapping: undefined } : entry;
  if (!mappingName) return { uri };
  const mapping = mappings[mappingName] ?? BUILT_IN_MAPPINGS[mappingName];
  if (!mapping) {
    const known = [...Object.keys(mappings), ...Object.keys(BUILT_IN_MAPPINGS)];
    throw new BoscoError('CONFIG_INVALID', `mapping '${mappingName}' named by ${where} is not defined`, {
      hint: `define it under "mappings" in the config, or use one of: ${known.join(', ')}`,
    });
  }
  return { uri, mappingName, mapping };
}

export interface CanonicalSource {
  /** Session-scoped relation with exactly the canonical columns, holding only the requested day (and client). */
  relation: string;
  label: string;
}

export interface CanonicalRequest {
  role: SourceRole;
  source: ResolvedSource;
  date: string;
  clientId?: string;
  scratchDir: string;
}

function mappingPath(source: ResolvedSource, canonical: string): string {
  return source.mappingName ? `mappings.${source.mappingName}.columns.${canonical}` : `a mapping for ${canonical}`;
}

/**
 * One statement of small probes, each a count (and a sample) of the rows that break one rule. Each probe keeps its
 * rule in a WHERE clause rather than in one scan's FILTERs, so the engine can answer it from column statistics
 * (a column without NULLs needs no read to show it has none): on a clean 10M-row table the probes cost
 * milliseconds where one scan with every rule cost ~0.4 s.
 */
async function checkRows(warehouse: Warehouse, raw: string, compiled: CompiledMapping, inScope: string, label: string, source: ResolvedSource): Promise<void> {
  const d = warehouse.dialect;
  const e = compiled.expressions;
  const columnOf = new Map(resolveMapping(source.mapping).map((column) => [column.canonical, column.column ?? '(fixed)']));
  const known = PLATFORMS.map((p) => d.quoteLiteral(p)).join(', ');
  const parseChecks = compiled.checks.map((check, i) => {
    const bad = `${check.expected === 'date' ? 'true' : inScope} AND ${check.raw} IS NOT NULL AND ${check.parsed} IS NULL`;
    return `${d.countIf(bad)} AS check_${i}, ${d.minIf(check.raw, bad)} AS sample_${i}`;
  });
  const probes = [
    `SELECT count(*) AS bad_date FROM ${raw} WHERE ${e.date} IS NULL`,
    ...KEY_COLUMNS.filter((key) => key !== 'date').map((key) => `SELECT count(*) AS null_${key} FROM ${raw} WHERE ${inScope} AND ${e[key]} IS NULL`),
    // Grouped first, so the handful of distinct platforms is tested instead of every row (in CASEs: a WHERE would
    // be pushed below the grouping).
    `SELECT sum(CASE WHEN platform NOT IN (${known}) THEN n END) AS bad_platform, min(CASE WHEN platform NOT IN (${known}) THEN platform END) AS bad_platform_sample
     FROM (SELECT ${e.platform} AS platform, count(*) AS n FROM ${raw} WHERE ${inScope} GROUP BY 1) platforms`,
    // Text that must parse is read whatever its statistics say, so those checks share one scan.
    ...(parseChecks.length > 0 ? [`SELECT ${parseChecks.join(', ')} FROM ${raw}`] : []),
  ];
  const [row = {}] = await warehouse.query(`SELECT * FROM ${probes.map((probe, i) => `(${probe}) probe_${i}`).join(' CROSS JOIN ')}`);
  const count = (name: string) => Number(row[name] ?? 0);

  compiled.checks.forEach((check, i) => {
    if (count(`check_${i}`) === 0) return;
    const what = check.expected === 'date' ? 'a date (YYYY-MM-DD)' : 'a number';
    throw new BoscoError('SOURCE_MALFORMED', `${label}: column '${check.column}' has ${count(`check_${i}`)} value(s) that are not ${what}, e.g. '${String(row[`sample_${i}`])}'`, {
      hint: check.expected === 'date'
        ? `write dates as YYYY-MM-DD, or map a timestamp column with { "column": "${check.column}", "type": "timestamp" } at ${mappingPath(source, check.canonical)}`
        : `fix those values, or map ${check.canonical} to a numeric column at ${mappingPath(source, check.canonical)}`,
    });
  });
  if (count('bad_date') > 0) {
    throw new BoscoError('SOURCE_MALFORMED', `${label}: ${count('bad_date')} row(s) have no date in column '${columnOf.get('date')}'`, {
      hint: 'every row needs a date; fill the column or remove those rows',
    });
  }
  for (const key of KEY_COLUMNS) {
    if (count(`null_${key}`) > 0) {
      throw new BoscoError('SOURCE_MALFORMED', `${label}: ${count(`null_${key}`)} row(s) have an empty ${key} (column '${columnOf.get(key)}')`, {
        hint: `every row needs ${KEY_COLUMNS.join(', ')}; fill those cells or remove the rows`,
      });
    }
  }
  if (count('bad_platform') > 0) {
    throw new BoscoError('SOURCE_MALFORMED', `${label}: column '${columnOf.get('platform')}' holds '${String(row.bad_platform_sample)}' (${count('bad_platform')} row(s)), which is not a known platform`, {
      hint: `platforms are ${PLATFORMS.join(', ')}; translate legacy codes with "values" at ${mappingPath(source, 'platform')}`,
    });
  }
}

/**
 * Makes a source readable as canonical `MetricRow` columns for one day, after checking that it has every
 * column the mapping needs and that its values parse. Errors name the source, the column and the fix.
 */
export async function stageCanonicalSource(warehouse: Warehouse, request: CanonicalRequest): Promise<CanonicalSource> {
  const { role, source, date, clientId } = request;
  return inSpan('bosco.source.stage', { 'bosco.source.role': role, 'bosco.source.reader': sourceReaderFor(source.uri).name }, async () => {
    const d = warehouse.dialect;
    const raw = `bosco_raw_${role}`;
    const mapped = new Map(resolveMapping(source.mapping).map((column) => [column.canonical, column.column]));
    // The same session may have staged this role before from a source of another kind (a file as a table, a view).
    await warehouse.dropTemp(raw);
    const staged = await sourceReaderFor(source.uri).stage({
      warehouse,
      uri: source.uri,
      relation: raw,
      columns: sourceColumnsOf(source.mapping),
      scratchDir: request.scratchDir,
      pushdown: { date, dateColumn: mapped.get('date'), clientId, clientColumn: mapped.get('client_id') },
    });
    const compiled = compileMapping(source.mapping, staged.columns, d);
    const [firstMissing] = compiled.missing;
    if (firstMissing) {
      const names = compiled.missing.map((m) => `'${m.column}'`).join(', ');
      throw new BoscoError('SOURCE_MISSING_COLUMN', `${staged.label}: missing column${compiled.missing.length > 1 ? 's' : ''} ${names}`, {
        hint: `the source has ${staged.columns.map((c) => c.name).join(', ') || 'no columns'}; rename the column${compiled.missing.length > 1 ? 's' : ''} or map ${firstMissing.canonical} at ${mappingPath(source, firstMissing.canonical)}`,
      });
    }
    const e = compiled.expressions;
    const inScope = [`${e.date} = ${d.dateLiteral(date)}`, ...(clientId !== undefined ? [`${e.client_id} = ${d.quoteLiteral(clientId)}`] : [])].join(' AND ');
    await checkRows(warehouse, raw, compiled, inScope, staged.label, source);
    const relation = `bosco_${role}`;
    const select = CANONICAL_COLUMNS.map(({ name }) => `${e[name]} AS ${d.quoteIdent(name)}`).join(', ');
    await warehouse.run(d.createTempView(relation, `SELECT ${select} FROM ${raw} WHERE ${inScope}`));
    return { relation, label: staged.label };
  });
}
