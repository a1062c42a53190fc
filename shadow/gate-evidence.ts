import type { Warehouse } from '../core/warehouse/index.js';
import type { EvidenceSource } from '../flags/cutover.js';
import type { DayEvidence } from '../flags/gate.js';
import { SERVING_TABLES } from '../new-pipeline/load/pipeline-tables.js';
import { ensureShadowTables, SHADOW_RUNS_TABLE, SHADOW_TABLES, SLA_TABLE } from './shadow-tables.js';
import { slaStatus } from './sla.js';

/**
 * A client's dual-run history as gate evidence: per day, the latest shadow run's reconcile (with the metrics that
 * failed, and `rows` when rows were missing or duplicated; `missing` when that run failed before reconciling), the day's SLA, and any partition whose latest quality
 * result is still quarantined (on either side's tables: a live client loads into the serving tables).
 */
export function shadowEvidence(now: () => Date = () => new Date()): EvidenceSource {
  return {
    async gather(warehouse: Warehouse, clientId, from, to) {
      await ensureShadowTables(warehouse);
      const runs = await warehouse.query(
        `SELECT r.date, r.status, r.reconcile_run_id, r.reconcile_status, res.metric, res.metric_status,
                res.missing_in_new + res.missing_in_legacy + res.duplicate_keys AS row_problems
         FROM (SELECT *, row_number() OVER (PARTITION BY date ORDER BY finished_at DESC) AS latest FROM ${SHADOW_RUNS_TABLE}
               WHERE client_id = ? AND date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)) r
         LEFT JOIN reconcile_results res ON res.run_id = r.reconcile_run_id AND res.client_id = ?
         WHERE r.latest = 1 ORDER BY r.date`,
        [clientId, from, to, clientId],
      ).catch(async (error: unknown) => {
        // No reconcile has ever run in this workspace: the history table does not exist yet.
        if ((await warehouse.describe('reconcile_results')).length === 0) return [];
        throw error;
      });
      const sla = await warehouse.query(`SELECT date, deadline, completed_at FROM ${SLA_TABLE} WHERE client_id = ? AND date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)`, [clientId, from, to]);
      const slaByDate = new Map(sla.map((row) => [String(row.date), slaStatus(new Date(String(row.deadline)), row.completed_at === null ? null : new Date(String(row.completed_at)), now())]));
      const days = new Map<string, DayEvidence>();
      for (const row of runs) {
        const date = String(row.date);
        // A day whose latest attempt failed has no reconcile of what its tables hold now: it is not reconciled.
        const day = days.get(date) ?? (row.status === 'failed'
          ? { date, reconcile: 'missing', failing: [], sla: slaByDate.get(date) ?? 'missing' }
          : { date, reconcile: row.reconcile_status === 'pass' ? 'pass' : 'fail', reconcileRunId: String(row.reconcile_run_id), failing: [], sla: slaByDate.get(date) ?? 'missing' });
        if (row.metric_status === 'fail' && !day.failing.includes(String(row.metric))) day.failing.push(String(row.metric));
        if (Number(row.row_problems ?? 0) > 0 && !day.failing.includes('rows')) day.failing.push('rows');
        days.set(date, day);
      }
      const openQualityFailures: Array<{ date: string; platform: string; reason: string }> = [];
      for (const table of [SHADOW_TABLES.quality, SERVING_TABLES.quality]) {
        if ((await warehouse.describe(table)).length === 0) continue;
        const rows = await warehouse.query(
          `SELECT date, platform, reason FROM (SELECT *, row_number() OVER (PARTITION BY date, platform ORDER BY checked_at DESC) AS latest FROM ${table}
             WHERE client_id = ? AND date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)) q WHERE latest = 1 AND status = 'quarantined' ORDER BY date, platform`,
          [clientId, from, to],
        );
        openQualityFailures.push(...rows.map((row) => ({ date: String(row.date), platform: String(row.platform), reason: String(row.reason) })));
      }
      return { days: [...days.values()], openQualityFailures };
    },
  };
}
