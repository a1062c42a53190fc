import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The steps of one client's shadow day, in order. Each is checkpointed once done. */
export const SHADOW_STEPS = ['new.fetch', 'new.load', 'legacy.snapshot', 'reconcile'] as const;
export type ShadowStep = (typeof SHADOW_STEPS)[number];

export interface StepCheckpoint {
  at: string;
  /** What the step produced that later steps or the record need (a run id, a count). */
  detail: Record<string, unknown>;
}

export type ClientDayCheckpoint = Partial<Record<ShadowStep, StepCheckpoint>>;

/**
 * Which steps of a client's shadow day are done, kept as one small file per client and day in the workspace,
 * replaced atomically and synced, so a crash at any point leaves the last finished step recorded and nothing half.
 * Files rather than warehouse rows: workers in several processes record steps while another holds the warehouse.
 */
export class CheckpointStore {
  constructor(private readonly dir: string) {}

  private file(clientId: string, date: string): string {
    return join(this.dir, `date=${date}`, `client=${encodeURIComponent(clientId)}.json`);
  }

  read(clientId: string, date: string): ClientDayCheckpoint {
    try {
      return JSON.parse(readFileSync(this.file(clientId, date), 'utf8')) as ClientDayCheckpoint;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }

  record(clientId: string, date: string, step: ShadowStep, detail: Record<string, unknown> = {}): void {
    const path = this.file(clientId, date);
    const next = { ...this.read(clientId, date), [step]: { at: new Date().toISOString(), detail } };
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, JSON.stringify(next));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  }

  /** Forgets a client's day, so a run without --resume starts it over. */
  clear(clientId: string, date: string): void {
    rmSync(this.file(clientId, date), { force: true });
  }
}
