import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Who holds a claim: written into the claim file, for a person looking and for the lease check. */
export interface ClaimHolder {
  consumer: string;
  pid: number;
  host: string;
  leaseMs: number;
}

/** The subscription's files as read by one listing. */
export interface SubscriptionSnapshot {
  /** Every event at or below this offset is done (acknowledged or dead-lettered). */
  committed: number;
  /** Events above `committed` that are done. */
  done: ReadonlySet<number>;
  /** Per event above `committed`, its latest delivery attempt and whether that attempt's handler threw. */
  latest: ReadonlyMap<number, { attempt: number; failed: boolean }>;
}

const COMMITTED = /^committed\.(\d+)$/;
const DONE = /^(\d+)\.ack$/;
const CLAIM = /^(\d+)\.(\d+)(\.failed)?$/;
const LEADING_OFFSET = /^(\d+)\./;

function ignoreMissing(action: () => void): void {
  try {
    action();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Makes the creation of entries in `dir` survive a power loss, not only a process crash. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * One subscription's state, as files in its folder shared by every consumer process on the machine. Each state
 * change creates a file, never edits one, so a consumer killed at any instant leaves a state another can read:
 * - `committed.<n>`: every event up to offset n is done. Two may exist for a moment; the highest counts.
 * - `<offset>.ack`: that event is done (acknowledged, or dead-lettered then acknowledged).
 * - `<offset>.<attempt>`: a consumer holds delivery `attempt` of the event. Created with O_EXCL, so exactly one
 *   consumer wins each attempt; its mtime is the lease, renewed while the handler runs, and its JSON names the
 *   holder and its lease length.
 * - `<offset>.<attempt>.failed`: that delivery's handler threw, so the next attempt may be claimed at once.
 * Once a new committed offset is on disk, the files of the events it covers are removed.
 */
export class SubscriptionFiles {
  constructor(readonly dir: string) {}

  ensure(): void {
    mkdirSync(this.dir, { recursive: true });
  }

  snapshot(): SubscriptionSnapshot {
    const names = readdirSync(this.dir);
    let committed = 0;
    for (const name of names) {
      const match = COMMITTED.exec(name);
      if (match) committed = Math.max(committed, Number(match[1]));
    }
    const done = new Set<number>();
    const latest = new Map<number, { attempt: number; failed: boolean }>();
    for (const name of names) {
      const ack = DONE.exec(name);
      if (ack) {
        if (Number(ack[1]) > committed) done.add(Number(ack[1]));
        continue;
      }
      const claim = CLAIM.exec(name);
      if (!claim || Number(claim[1]) <= committed) continue;
      const offset = Number(claim[1]);
      const attempt = Number(claim[2]);
      const seen = latest.get(offset);
      if (!seen || attempt > seen.attempt) latest.set(offset, { attempt, failed: claim[3] !== undefined });
      else if (attempt === seen.attempt && claim[3] !== undefined) seen.failed = true;
    }
    return { committed, done, latest };
  }

  /** Takes delivery `attempt` of the event at `offset`; false when another consumer took it first or it is already done. */
  claim(offset: number, attempt: number, holder: ClaimHolder): boolean {
    const file = join(this.dir, `${offset}.${attempt}`);
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    try {
      writeSync(fd, JSON.stringify(holder));
    } finally {
      closeSync(fd);
    }
    // The listing the claim was chosen from may predate another consumer's ack and the removal of the event's
    // files, which would let a finished attempt be claimed again: look once more now that the claim exists.
    if (existsSync(join(this.dir, `${offset}.ack`)) || this.snapshot().committed >= offset) {
      ignoreMissing(() => unlinkSync(file));
      return false;
    }
    return true;
  }

  /** Whether the holder of `attempt` stopped renewing its lease (it crashed, or hangs) for longer than the lease. */
  leaseExpired(offset: number, attempt: number, now: number, fallbackLeaseMs: number): boolean {
    const file = join(this.dir, `${offset}.${attempt}`);
    try {
      const { mtimeMs } = statSync(file);
      let leaseMs = fallbackLeaseMs;
      try {
        leaseMs = (JSON.parse(readFileSync(file, 'utf8')) as ClaimHolder).leaseMs;
      } catch {
        // Created but not yet written by its holder: judge it by this consumer's own lease.
      }
      return now - mtimeMs > leaseMs;
    } catch (error) {
      // Removed since the listing: the event was finished meanwhile.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  renew(offset: number, attempt: number): void {
    const now = new Date();
    ignoreMissing(() => utimesSync(join(this.dir, `${offset}.${attempt}`), now, now));
  }

  fail(offset: number, attempt: number): void {
    closeSync(openSync(join(this.dir, `${offset}.${attempt}.failed`), 'w'));
  }

  /** Marks the event done, durably, then moves the committed offset over every done event that follows it. */
  done(offset: number): void {
    closeSync(openSync(join(this.dir, `${offset}.ack`), 'w'));
    syncDir(this.dir);
    this.compact();
  }

  private compact(): void {
    const snapshot = this.snapshot();
    let committed = snapshot.committed;
    while (snapshot.done.has(committed + 1)) committed++;
    if (committed > snapshot.committed) {
      closeSync(openSync(join(this.dir, `committed.${committed}`), 'w'));
      // The files of the covered events go only once the offset that replaces them is on disk.
      syncDir(this.dir);
    }
    for (const name of readdirSync(this.dir)) {
      const old = COMMITTED.exec(name);
      const covered = old ? Number(old[1]) < committed : Number(LEADING_OFFSET.exec(name)?.[1] ?? Infinity) <= committed;
      if (covered) ignoreMissing(() => unlinkSync(join(this.dir, name)));
    }
  }
}
