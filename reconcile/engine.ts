import { inSpan } from '../core/telemetry.js';
import type { Row, Warehouse } from '../core/warehouse/index.js';
import { clientResult, type MetricCounts } from './rollup.js';
import { comparisonPlan, type ClientComparison } from './sql-plan.js';
import type { ClientResult, ComparisonSpec, Difference, DifferenceKind, RowCounts, ToleranceTable } from './types.js';

export interface CompareRequest {
  legacy: string;
  next: string;
  spec: ComparisonSpec;
  tolerances: ToleranceTable;
  /** Fetch up to this many row-level differences when anything differs; none when undefined. */
  differencesLimit?: number;
}

export interface Comparison {
  clients: ClientResult[];
  differences?: Difference[];
}

const count = (value: unknown) => Number(value ?? 0);

/**
 * Compares two canonical relations inside the warehouse. Only per-client aggregates and the capped
 * row-level differences ever leave the engine.
 */
export async function compareRelations(warehouse: Warehouse, request: CompareRequest): Promise<Comparison> {
  const { legacy, next, spec } = request;
  const d = warehouse.dialect;
  const plan = comparisonPlan(d, spec, request.tolerances);

  const [legacyTotals, newTotals] = await inSpan('bosco.reconcile.totals', {}, async () =>
    Promise.all([warehouse.query(plan.totals(legacy)), warehouse.query(plan.totals(next))]),
  );
  // A sum is finite only if every value in it is, so the totals show which metrics hold no infinity or NaN, and
  // for those the join may take equal values as matching without testing each for being finite.
  const finiteMetrics = spec.metrics.filter((metric) => [...legacyTotals, ...newTotals].every((row) => Number.isFinite(count(row[metric]))));
  const compare = (duplicates?: string) =>
    inSpan('bosco.reconcile.compare', {}, async () => plan.tally(await warehouse.query(plan.comparison(legacy, next, duplicates, finiteMetrics))));

  let compared = await compare();
  // The join itself shows whether any key can repeat (see `comparison` in sql-plan.ts). Only then are duplicates
  // looked for, and the join rerun without them: a run with no duplicates, the usual one, pays for one join.
  // Rows without a client are invisible to the join, so their presence alone sends the run down the exact path.
  const rowTotal = (rows: Row[]) => rows.reduce((sum, row) => sum + count(row.row_count), 0);
  const comparedTotal = (pick: (c: ClientComparison) => number) => [...compared.values()].reduce((sum, c) => sum + pick(c), 0);
  const matched = comparedTotal((c) => c.matched);
  const missingInNew = comparedTotal((c) => c.missingInNew);
  const missingInLegacy = comparedTotal((c) => c.missingInLegacy);
  const mayRepeat =
    [...legacyTotals, ...newTotals].some((row) => row.client_id === null) ||
    rowTotal(legacyTotals) - missingInNew !== matched ||
    rowTotal(newTotals) - missingInLegacy !== matched ||
    comparedTotal((c) => c.legacyOnlyKeys) !== missingInNew ||
    comparedTotal((c) => c.newOnlyKeys) !== missingInLegacy;
  const duplicates = !mayRepeat
    ? undefined
    : await inSpan('bosco.reconcile.duplicates', {}, async () => {
        await warehouse.run(d.createTempTable('bosco_dup_candidates', `${plan.duplicateHashes(legacy)} UNION DISTINCT ${plan.duplicateHashes(next)}`));
        const [candidates] = await warehouse.query('SELECT count(*) AS n FROM bosco_dup_candidates');
        if (count(candidates?.n) === 0) return undefined;
        await warehouse.run(d.createTempTable('bosco_duplicates', plan.duplicateKeys(legacy, next, 'bosco_dup_candidates')));
        const [found] = await warehouse.query('SELECT count(*) AS n FROM bosco_duplicates');
        return count(found?.n) > 0 ? 'bosco_duplicates' : undefined;
      });
  if (duplicates) compared = await compare(duplicates);
  const duplicatesByClient = duplicates
    ? await warehouse.query(`SELECT ${d.quoteIdent(spec.clientKey)} AS client_id, count(*) AS n FROM ${duplicates} GROUP BY 1`)
    : [];

  const byClient = <T extends { client_id?: unknown }>(rows: T[]) => new Map(rows.map((row) => [String(row.client_id), row]));
  const legacyBy = byClient(legacyTotals);
  const newBy = byClient(newTotals);
  const dupBy = byClient(duplicatesByClient);
  const clientIds = [...new Set([...legacyBy.keys(), ...newBy.keys()])].sort();

  const clients = clientIds.map((clientId) => {
    const l = legacyBy.get(clientId) ?? {};
    const n = newBy.get(clientId) ?? {};
    const c = compared.get(clientId);
    const rows: RowCounts = {
      legacy: count(l.row_count),
      new: count(n.row_count),
      matched: c?.matched ?? 0,
      missing_in_new: c?.missingInNew ?? 0,
      missing_in_legacy: c?.missingInLegacy ?? 0,
      duplicate_keys: count(dupBy.get(clientId)?.n),
    };
    const metrics: MetricCounts[] = spec.metrics.map((metric) => ({
      metric,
      legacyTotal: count(l[metric]),
      newTotal: count(n[metric]),
      rowsMismatched: c?.mismatched[metric] ?? 0,
      missingRowsWithValue: c?.missingValued[metric] ?? 0,
    }));
    return clientResult(clientId, rows, metrics);
  });

  if (request.differencesLimit === undefined || clients.every((client) => client.status === 'pass')) return { clients };
  const rows = await inSpan('bosco.reconcile.differences', {}, () =>
    warehouse.query(plan.differences(legacy, next, request.differencesLimit!, duplicates)),
  );
  const differences: Difference[] = rows.map((row) => ({
    client_id: String(row.client_id),
    date: String(row.date),
    platform: String(row.platform),
    account_id: String(row.account_id),
    campaign_id: String(row.campaign_id),
    kind: row.kind as DifferenceKind,
    metric: row.metric === null ? null : String(row.metric),
    legacy: row.legacy === null ? null : Number(row.legacy),
    new: row.new === null ? null : Number(row.new),
  }));
  return { clients, differences };
}
