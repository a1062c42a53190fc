import { randomBytes } from 'node:crypto';
import type { Warehouse } from '../core/warehouse/index.js';
import type { Acceptance } from './gate.js';
import type { Stage } from './types.js';

/** Every stage change and accepted difference, appended and never updated or deleted by the tool. */
export const AUDIT_TABLE = 'flag_audit';
export const ACCEPTANCES_TABLE = 'accepted_differences';

export type AuditAction = 'promote' | 'rollback' | 'override' | 'auto-rollback' | 'accept';

export interface AuditEntry {
  entry_id: string;
  client_id: string;
  action: AuditAction;
  from_stage: Stage | null;
  to_stage: Stage | null;
  actor: string;
  reason: string;
  /** The gate's checks, or the acceptance, as recorded at the time. */
  evidence: unknown;
  at: string;
}

export async function ensureAuditTables(warehouse: Warehouse): Promise<void> {
  const text = (name: string, required = false) => ({ name, type: 'text' as const, required });
  await warehouse.createTable(AUDIT_TABLE, {
    columns: [text('entry_id', true), text('client_id', true), text('action', true), text('from_stage'), text('to_stage'), text('actor', true), text('reason', true), { name: 'evidence', type: 'json' }, { name: 'changed_at', type: 'timestamp', required: true }],
    clusterBy: ['client_id'],
  });
  await warehouse.createTable(ACCEPTANCES_TABLE, {
    columns: [text('id', true), text('client_id', true), text('metric', true), { name: 'from_date', type: 'date', required: true }, { name: 'to_date', type: 'date', required: true }, { name: 'expires', type: 'date', required: true }, text('reason', true), text('actor', true), { name: 'accepted_at', type: 'timestamp', required: true }],
    clusterBy: ['client_id'],
  });
}

export const newEntryId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;

export async function appendAudit(warehouse: Warehouse, entry: AuditEntry): Promise<void> {
  await warehouse.run(`INSERT INTO ${AUDIT_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP))`, [
    entry.entry_id, entry.client_id, entry.action, entry.from_stage, entry.to_stage, entry.actor, entry.reason, JSON.stringify(entry.evidence ?? null), entry.at,
  ]);
}

/** A client's audit entries, oldest first; every client's when `clientId` is undefined. */
export async function auditHistory(warehouse: Warehouse, clientId?: string): Promise<AuditEntry[]> {
  const rows = await warehouse.query(`SELECT * FROM ${AUDIT_TABLE} ${clientId === undefined ? '' : 'WHERE client_id = ?'} ORDER BY changed_at, entry_id`, clientId === undefined ? [] : [clientId]);
  return rows.map((row) => ({
    entry_id: String(row.entry_id),
    client_id: String(row.client_id),
    action: row.action as AuditAction,
    from_stage: (row.from_stage ?? null) as Stage | null,
    to_stage: (row.to_stage ?? null) as Stage | null,
    actor: String(row.actor),
    reason: String(row.reason),
    evidence: typeof row.evidence === 'string' ? JSON.parse(row.evidence) : row.evidence,
    at: String(row.changed_at),
  }));
}

export async function recordAcceptance(warehouse: Warehouse, acceptance: Acceptance, actor: string, at: string): Promise<void> {
  const a = acceptance;
  await warehouse.run(`INSERT INTO ${ACCEPTANCES_TABLE} VALUES (?, ?, ?, CAST(? AS DATE), CAST(? AS DATE), CAST(? AS DATE), ?, ?, CAST(? AS TIMESTAMP))`, [
    a.id, a.clientId, a.metric, a.from, a.to, a.expires, a.reason, actor, at,
  ]);
}

export async function acceptancesFor(warehouse: Warehouse, clientId: string): Promise<Acceptance[]> {
  const rows = await warehouse.query(`SELECT * FROM ${ACCEPTANCES_TABLE} WHERE client_id = ? ORDER BY accepted_at`, [clientId]);
  return rows.map((row) => ({
    id: String(row.id), clientId: String(row.client_id), metric: String(row.metric), from: String(row.from_date), to: String(row.to_date), expires: String(row.expires), reason: String(row.reason),
  }));
}
