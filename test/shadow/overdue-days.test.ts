import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalEventLog } from '../../core/bus/local/local-event-log.js';
import { DuckDbWarehouse } from '../../core/warehouse/duckdb/duckdb-warehouse.js';
import { recordOverdueDays, SHADOW_TOPIC } from '../../shadow/run-client-day.js';
import { ensureShadowTables, SLA_TABLE } from '../../shadow/shadow-tables.js';
import { slaDeadline, type SlaStatus } from '../../shadow/sla.js';
import { makeTempDir, runCli } from '../helpers/cli.js';

/** One recorded client-day, as the shadow run writes it. */
function slaDay(clientId: string, date: string, status: SlaStatus, completedAt: string | null = null, timeZone = 'UTC') {
  return { clientId, date, row: { time_zone: timeZone, deadline: slaDeadline(date, timeZone).toISOString(), completed_at: completedAt, status } };
}

async function seed(warehouse: DuckDbWarehouse, days: ReturnType<typeof slaDay>[]): Promise<void> {
  await ensureShadowTables(warehouse);
  for (const day of days) await warehouse.replacePartition(SLA_TABLE, { client_id: day.clientId, date: day.date }, [day.row]);
}

describe('client-days left without data past their deadline', () => {
  let dir: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.cleanup());

  it('are recorded missed with one sla.missed each, while days before their deadline, met or already missed stay as they were', async () => {
    const warehouse = await DuckDbWarehouse.open({ path: join(dir.path, 'warehouse.duckdb') });
    const bus = new LocalEventLog(join(dir.path, 'events'));
    try {
      await seed(warehouse, [
        slaDay('acme', '2026-11-20', 'pending'),
        // Sydney's 08:00 of the 21st came long before New York's: only Sydney's day is overdue at 2026-11-21T12:00Z.
        slaDay('koala', '2026-11-20', 'pending', null, 'Australia/Sydney'),
        slaDay('big-apple', '2026-11-20', 'pending', null, 'America/New_York'),
        slaDay('on-time', '2026-11-19', 'met', '2026-11-20T06:00:00.000Z'),
        slaDay('late', '2026-11-19', 'missed'),
      ]);
      const now = new Date('2026-11-21T12:00:00Z');
      const overdue = await recordOverdueDays(bus, warehouse, now);
      expect(overdue).toEqual([
        { client_id: 'acme', date: '2026-11-20', deadline: '2026-11-21T08:00:00.000Z' },
        { client_id: 'koala', date: '2026-11-20', deadline: '2026-11-20T21:00:00.000Z' },
      ]);
      const statuses = await warehouse.query(`SELECT client_id, status FROM ${SLA_TABLE} ORDER BY client_id`);
      expect(statuses).toEqual([
        { client_id: 'acme', status: 'missed' },
        { client_id: 'big-apple', status: 'pending' },
        { client_id: 'koala', status: 'missed' },
        { client_id: 'late', status: 'missed' },
        { client_id: 'on-time', status: 'met' },
      ]);
      // A second check, as a scheduler repeats it, finds nothing new and raises nothing twice.
      expect(await recordOverdueDays(bus, warehouse, now)).toEqual([]);
      const missed = (await bus.read<{ client_id: string; date: string; completed_at: string | null }>(SHADOW_TOPIC)).filter((e) => e.type === 'sla.missed');
      expect(missed.map((e) => e.data)).toEqual([
        { client_id: 'acme', date: '2026-11-20', deadline: '2026-11-21T08:00:00.000Z', completed_at: null },
        { client_id: 'koala', date: '2026-11-20', deadline: '2026-11-20T21:00:00.000Z', completed_at: null },
      ]);
    } finally {
      await bus.close();
      await warehouse.close();
    }
  });

  it('bosco sla check reports them and exits 1, then 0 once they are recorded', async () => {
    const warehouse = await DuckDbWarehouse.open({ path: join(dir.path, '.bosco', 'warehouse.duckdb') });
    try {
      // A day long past, and one whose deadline is years away.
      await seed(warehouse, [slaDay('acme', '2026-01-05', 'pending'), slaDay('acme', '2099-01-05', 'pending')]);
    } finally {
      await warehouse.close();
    }
    const first = await runCli(['sla', 'check', '--format', 'json'], { cwd: dir.path });
    expect(first.code, first.stderr).toBe(1);
    expect(JSON.parse(first.stdout)).toEqual({ missed: [{ client_id: 'acme', date: '2026-01-05', deadline: '2026-01-06T08:00:00.000Z' }] });
    const second = await runCli(['sla', 'check'], { cwd: dir.path });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('no client-day is past its 08:00 deadline without data');
    const report = await runCli(['sla', 'report', '--from', '2026-01-05', '--to', '2026-01-05', '--format', 'json'], { cwd: dir.path });
    expect(JSON.parse(report.stdout).clients).toEqual([{ client_id: 'acme', met: 0, missed: 1, pending: 0, hit_rate: 0 }]);
  });
});
