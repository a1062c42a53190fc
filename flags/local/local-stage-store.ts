import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { BoscoError } from '../../core/errors.js';
import { STAGES, type StageChange, type StageRecord, type StageStore } from '../types.js';

const FileSchema = z.object({ clients: z.record(z.string(), z.object({ stage: z.enum(STAGES), version: z.string() })) });
type StagesFile = z.infer<typeof FileSchema>;

/** A lock older than this was left by a crashed writer (a write takes milliseconds). */
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 5_000;

/**
 * The embedded stage store: one JSON file in the workspace. A write takes a lock file (so writers in several
 * processes take turns), checks the version the writer read, and replaces the file atomically (temp file, fsync,
 * rename), so a crash never leaves it half-written and two operators never silently overwrite each other.
 */
export class LocalStageStore implements StageStore {
  constructor(private readonly path: string) {}

  private read(): StagesFile {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { clients: {} };
      throw error;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      raw = undefined;
    }
    const parsed = FileSchema.safeParse(raw);
    if (!parsed.success) {
      // Never suggest deleting it: without the file every live client would fall back to legacy.
      throw new BoscoError('CONFIG_INVALID', `${this.path} is not a readable stage file`, {
        hint: 'restore it from a backup, or rebuild each client\'s stage from bosco flags history; do not delete it (every client would read as legacy)',
      });
    }
    return parsed.data;
  }

  async get(clientId: string): Promise<StageRecord | undefined> {
    const entry = this.read().clients[clientId];
    return entry ? { clientId, ...entry } : undefined;
  }

  async list(): Promise<StageRecord[]> {
    return Object.entries(this.read().clients)
      .map(([clientId, entry]) => ({ clientId, ...entry }))
      .sort((a, b) => a.clientId.localeCompare(b.clientId));
  }

  async set(change: StageChange): Promise<StageRecord> {
    return this.locked(() => {
      const file = this.read();
      const current = file.clients[change.clientId];
      if (current?.version !== change.expectedVersion) {
        throw new BoscoError('FLAG_CONFLICT', `client '${change.clientId}' changed since it was read (now ${current?.stage ?? 'unset'}, version ${current?.version ?? 'none'})`, {
          hint: 'someone else changed this client just now: check bosco flags history, then try again',
        });
      }
      const record = { stage: change.stage, version: `${Number(current?.version ?? 0) + 1}` };
      file.clients[change.clientId] = record;
      this.write(file);
      return { clientId: change.clientId, ...record };
    });
  }

  async close(): Promise<void> {}

  private write(file: StagesFile): void {
    const temporary = `${this.path}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, JSON.stringify(file, null, 2) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
  }

  private async locked<T>(work: () => T): Promise<T> {
    const lock = `${this.path}.lock`;
    mkdirSync(dirname(this.path), { recursive: true });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        closeSync(openSync(lock, 'wx'));
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        try {
          if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { force: true });
        } catch {
          // The holder released it between our two looks.
        }
        if (Date.now() > deadline) {
          throw new BoscoError('WORKSPACE_LOCKED', `the stage file ${this.path} stayed locked for ${LOCK_WAIT_MS / 1000} s`, { hint: `another bosco flags command is writing; if none is, remove ${lock}` });
        }
        await sleep(10 + Math.random() * 20);
      }
    }
    try {
      return work();
    } finally {
      rmSync(lock, { force: true });
    }
  }
}
