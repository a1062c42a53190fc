import type { Row, SqlDialect } from '../core/warehouse/index.js';
import type { ComparisonSpec, ToleranceTable } from './types.js';

/**
 * Builds the reconcile plan as SQL for any dialect. Pure: no I/O, so the plan is tested without an engine and
 * the same plan runs on every warehouse. The relations named here hold one side each, already filtered to the
 * day (and client) being reconciled.
 *
 * The plan is shaped for speed at tens of millions of rows: one FULL OUTER JOIN counts everything, and also
 * tells whether any key can repeat (see `comparison`), so the common run with no duplicate keys costs one join.
 * Only when a key may repeat are duplicates found, by grouping a 64-bit hash of the key (cheap) and confirming
 * exactly only the few candidate hashes, and the join run again without them. Pre-aggregating each side by key
 * instead would double the cost.
 */
export interface ComparisonPlan {
  /** Rows and metric sums per client, for one side. */
  totals(relation: string): string;
  /** Key hashes seen more than once on one side: duplicate candidates (a hash collision is weeded out later). */
  duplicateHashes(relation: string): string;
  /** Exact duplicate keys among the candidate hashes, with each side's row count. */
  duplicateKeys(legacy: string, next: string, candidates: string): string;
  /**
   * The join, counted by row class, for `tally` to read. A class is a bit set: on the legacy side (1), on the new
   * side (2), and per metric one bit (4, 8, …): beyond tolerance on a matched row, non-zero on a one-sided row.
   * Counting classes is one cheap aggregate where a FILTER per count was not: rows whose every metric is equal
   * are classed by one short test, and only the few others are looked at metric by metric. `finiteMetrics` are
   * known to hold no infinity or NaN, so equality alone proves a match for them.
   *
   * One-sided rows also yield their distinct key hashes. With no duplicate key, rows − missing_in_new = matched
   * (legacy) and rows − missing_in_legacy = matched (new), and each side's one-sided rows have as many distinct
   * key hashes as rows; a repeated key (or a hash collision) breaks one of these, which is how the engine knows to
   * look for duplicates at all.
   */
  comparison(legacy: string, next: string, duplicates?: string, finiteMetrics?: readonly string[]): string;
  /** Per-client counts from the rows `comparison` returned. */
  tally(rows: readonly Row[]): Map<string, ClientComparison>;
  /** Row-level differences, worst first, at most `limit`. */
  differences(legacy: string, next: string, limit: number, duplicates?: string): string;
}

/** What the join counted for one client. */
export interface ClientComparison {
  matched: number;
  missingInNew: number;
  missingInLegacy: number;
  /** Distinct key hashes among the rows missing in new (equal to `missingInNew` unless a key repeats). */
  legacyOnlyKeys: number;
  /** Distinct key hashes among the rows missing in legacy. */
  newOnlyKeys: number;
  /** Per metric: matched rows whose values differ beyond tolerance. */
  mismatched: Record<string, number>;
  /** Per metric: rows present on one side only that carry a non-zero value. */
  missingValued: Record<string, number>;
}

const LEGACY_PREFIX = 'legacy_';
const NEW_PREFIX = 'new_';
const LEGACY_BIT = 1;
const NEW_BIT = 2;
/** The class bit of the i-th metric; an integer holds 29 of them, and a row has five. */
const metricBit = (i: number) => 4 << i;

export function comparisonPlan(d: SqlDialect, spec: ComparisonSpec, tolerances: ToleranceTable): ComparisonPlan {
  const q = d.quoteIdent;
  const keys = spec.keys.map(q);
  const client = q(spec.clientKey);
  const on = (a: string, b: string) => spec.keys.map((key) => `${a}.${q(key)} = ${b}.${q(key)}`).join(' AND ');
  const number = (value: number) => (Number.isFinite(value) ? String(value) : '0');

  function toleranceExpr(metric: string, part: 'abs' | 'rel', clientRef: string): string {
    const base = tolerances.defaults[metric]?.[part] ?? 0;
    const overrides = Object.entries(tolerances.clients).filter(([, byMetric]) => byMetric[metric] && byMetric[metric]![part] !== base);
    if (overrides.length === 0) return number(base);
    const whens = overrides.map(([id, byMetric]) => `WHEN ${d.quoteLiteral(id)} THEN ${number(byMetric[metric]![part])}`);
    return `(CASE ${clientRef} ${whens.join(' ')} ELSE ${number(base)} END)`;
  }

  /**
   * The SQL twin of `valuesMatch` (tolerance.ts), negated. The spec tests hold the two to the same cases.
   * The first branch is only a shortcut: equal finite values (`l - l = 0` is false for infinities and NaN) are
   * never beyond a tolerance, and since CASE evaluates later branches only for the rows left, the tolerance
   * arithmetic runs on the few rows that differ instead of every row (it was most of the comparison's cost).
   */
  function mismatch(metric: string, clientRef: string): string {
    const l = q(LEGACY_PREFIX + metric);
    const n = q(NEW_PREFIX + metric);
    const allowed = d.greatest(toleranceExpr(metric, 'abs', clientRef), `${toleranceExpr(metric, 'rel', clientRef)} * abs(${l})`);
    const slack = `1e-12 * ${d.greatest('1', d.greatest(`abs(${l})`, `abs(${n})`))}`;
    // The SQL twin of `intervalsMatch`: a value inside the other side's interval matches (a NULL bound makes the test NULL, so it does not).
    const interval = spec.intervals?.[metric];
    const withinInterval = interval
      ? ` WHEN ${n} BETWEEN ${q(LEGACY_PREFIX + interval.lower)} AND ${q(LEGACY_PREFIX + interval.upper)} OR ${l} BETWEEN ${q(NEW_PREFIX + interval.lower)} AND ${q(NEW_PREFIX + interval.upper)} THEN false`
      : '';
    return `(CASE WHEN ${l} = ${n} AND ${l} - ${l} = 0 THEN false WHEN ${l} IS NULL AND ${n} IS NULL THEN false WHEN ${l} IS NULL OR ${n} IS NULL THEN true${withinInterval} ELSE abs(${n} - ${l}) > ${allowed} + ${slack} END)`;
  }

  function withoutDuplicates(relation: string, duplicates?: string): string {
    if (!duplicates) return relation;
    return `(SELECT s.* FROM ${relation} s LEFT JOIN ${duplicates} x ON ${on('s', 'x')} WHERE x.${client} IS NULL)`;
  }

  /**
   * Both sides side by side on the key, duplicate keys left out (they are reported on their own). With
   * `unmatchedKey`, rows on one side only also carry a hash of their key (NULL elsewhere, so it costs nothing there).
   */
  function joined(legacy: string, next: string, duplicates: string | undefined, allKeys: boolean, unmatchedKey = false): string {
    const keyColumns = (allKeys ? spec.keys : [spec.clientKey]).map((key) => `coalesce(l.${q(key)}, n.${q(key)}) AS ${q(key)}`);
    const compared = [...spec.metrics, ...Object.values(spec.intervals ?? {}).flatMap((interval) => [interval.lower, interval.upper])];
    const metricColumns = compared.flatMap((column) => [`l.${q(column)} AS ${q(LEGACY_PREFIX + column)}`, `n.${q(column)} AS ${q(NEW_PREFIX + column)}`]);
    const hashColumn = `CASE WHEN l.${client} IS NOT NULL AND n.${client} IS NOT NULL THEN NULL ELSE ${d.hashOf(spec.keys.map((key) => `coalesce(l.${q(key)}, n.${q(key)})`))} END AS unmatched_key`;
    return `SELECT ${[...keyColumns, `l.${client} IS NOT NULL AS in_legacy`, `n.${client} IS NOT NULL AS in_new`, ...metricColumns, ...(unmatchedKey ? [hashColumn] : [])].join(', ')}
      FROM ${withoutDuplicates(legacy, duplicates)} l FULL OUTER JOIN ${withoutDuplicates(next, duplicates)} n ON ${on('l', 'n')}`;
  }

  return {
    totals: (relation) =>
      `SELECT ${client} AS client_id, count(*) AS row_count, ${spec.metrics.map((metric) => `coalesce(sum(${q(metric)}), 0) AS ${q(metric)}`).join(', ')}
       FROM ${relation} GROUP BY ${client}`,

    duplicateHashes: (relation) =>
      `SELECT h FROM (SELECT ${d.hashOf(keys)} AS h FROM ${relation}) hashed GROUP BY h HAVING count(*) > 1`,

    duplicateKeys: (legacy, next, candidates) => {
      const counted = (relation: string) =>
        `SELECT ${keys.join(', ')}, count(*) AS n FROM ${relation} WHERE ${d.hashOf(keys)} IN (SELECT h FROM ${candidates}) GROUP BY ${keys.join(', ')}`;
      const keyColumns = spec.keys.map((key) => `coalesce(l.${q(key)}, n.${q(key)}) AS ${q(key)}`);
      return `SELECT ${keyColumns.join(', ')}, coalesce(l.n, 0) AS legacy_rows, coalesce(n.n, 0) AS new_rows
        FROM (${counted(legacy)}) l FULL OUTER JOIN (${counted(next)}) n ON ${on('l', 'n')}
        WHERE coalesce(l.n, 0) > 1 OR coalesce(n.n, 0) > 1`;
    },

    comparison: (legacy, next, duplicates, finiteMetrics = []) => {
      const l = (metric: string) => q(LEGACY_PREFIX + metric);
      const n = (metric: string) => q(NEW_PREFIX + metric);
      const allEqual = spec.metrics.map((metric) => (finiteMetrics.includes(metric) ? `${l(metric)} = ${n(metric)}` : `${l(metric)} = ${n(metric)} AND ${l(metric)} - ${l(metric)} = 0`));
      const metricBits = spec.metrics.map(
        (metric, i) => `(CASE WHEN (CASE WHEN in_legacy AND in_new THEN ${mismatch(metric, client)} ELSE coalesce(${l(metric)}, ${n(metric)}, 0) <> 0 END) THEN ${metricBit(i)} ELSE 0 END)`,
      );
      // CASE looks at its ELSE only for the rows its WHEN left, so the per-metric work runs on the few rows that differ.
      const bits = `CASE WHEN ${['in_legacy', 'in_new', ...allEqual].join(' AND ')} THEN ${LEGACY_BIT + NEW_BIT}
        ELSE (CASE WHEN in_legacy THEN ${LEGACY_BIT} ELSE 0 END) + (CASE WHEN in_new THEN ${NEW_BIT} ELSE 0 END) + ${metricBits.join(' + ')} END`;
      // One-sided rows are first grouped by key and side, to count distinct keys (bit_or is the same in every
      // dialect); matched rows by class alone.
      return `WITH j AS (${joined(legacy, next, duplicates, false, true)}),
        classed AS (SELECT ${client}, in_legacy, unmatched_key, ${bits} AS bits FROM j),
        keyed AS (
          SELECT ${client}, unmatched_key, bit_or(bits) AS bits, count(*) AS row_count FROM classed
          GROUP BY ${client}, in_legacy, unmatched_key, CASE WHEN unmatched_key IS NULL THEN bits END)
        SELECT ${client} AS client_id, bits, sum(row_count) AS row_count, count(unmatched_key) AS key_count
        FROM keyed GROUP BY ${client}, bits`;
    },

    tally: (rows) => {
      const byClient = new Map<string, ClientComparison>();
      const zeros = () => Object.fromEntries(spec.metrics.map((metric) => [metric, 0]));
      for (const row of rows) {
        const bits = Number(row.bits);
        const rowCount = Number(row.row_count);
        const keyCount = Number(row.key_count);
        const onLegacy = (bits & LEGACY_BIT) !== 0;
        const onNew = (bits & NEW_BIT) !== 0;
        // Rows on neither side have no client id on either: the engine sends those runs down the exact path.
        if (!onLegacy && !onNew) continue;
        const id = String(row.client_id);
        let c = byClient.get(id);
        if (!c) {
          c = { matched: 0, missingInNew: 0, missingInLegacy: 0, legacyOnlyKeys: 0, newOnlyKeys: 0, mismatched: zeros(), missingValued: zeros() };
          byClient.set(id, c);
        }
        if (onLegacy && onNew) {
          c.matched += rowCount;
        } else if (onLegacy) {
          c.missingInNew += rowCount;
          c.legacyOnlyKeys += keyCount;
        } else {
          c.missingInLegacy += rowCount;
          c.newOnlyKeys += keyCount;
        }
        const perMetric = onLegacy && onNew ? c.mismatched : c.missingValued;
        spec.metrics.forEach((metric, i) => {
          if ((bits & metricBit(i)) !== 0) perMetric[metric]! += rowCount;
        });
      }
      return byClient;
    },

    differences: (legacy, next, limit, duplicates) => {
      const keyText = spec.keys.map((key) => `${d.text(q(key))} AS ${q(key)}`).join(', ');
      const noValue = `${d.tryDouble('NULL')} AS legacy, ${d.tryDouble('NULL')} AS ${q('new')}`;
      const parts = [
        `SELECT ${keyText}, 'missing_in_new' AS kind, ${d.text('NULL')} AS metric, ${noValue}, 1 AS rank, ${d.tryDouble('NULL')} AS size FROM j WHERE in_legacy AND NOT in_new`,
        `SELECT ${keyText}, 'missing_in_legacy' AS kind, ${d.text('NULL')} AS metric, ${noValue}, 2 AS rank, ${d.tryDouble('NULL')} AS size FROM j WHERE in_new AND NOT in_legacy`,
        ...spec.metrics.map(
          (metric) =>
            `SELECT ${keyText}, 'value_mismatch' AS kind, ${d.quoteLiteral(metric)} AS metric, ${q(LEGACY_PREFIX + metric)} AS legacy, ${q(NEW_PREFIX + metric)} AS ${q('new')}, 3 AS rank,
               abs(coalesce(${q(NEW_PREFIX + metric)}, 0) - coalesce(${q(LEGACY_PREFIX + metric)}, 0)) AS size
             FROM j WHERE in_legacy AND in_new AND ${mismatch(metric, client)}`,
        ),
        ...(duplicates
          ? [`SELECT ${keyText}, 'duplicate_key' AS kind, ${d.text('NULL')} AS metric, legacy_rows AS legacy, new_rows AS ${q('new')}, 0 AS rank, ${d.tryDouble('NULL')} AS size FROM ${duplicates}`]
          : []),
      ];
      return `WITH j AS (${joined(legacy, next, duplicates, true)})
        SELECT * FROM (${parts.join('\n UNION ALL ')}) differences
        ORDER BY rank, size DESC NULLS LAST, ${keys.join(', ')}, metric
        LIMIT ${Math.max(0, Math.floor(limit))}`;
    },
  };
}
