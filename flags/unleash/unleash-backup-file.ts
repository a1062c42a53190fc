import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ClientFeaturesResponse } from 'unleash-client';

/**
 * The SDK's backup of the last flags it fetched, as one file replaced atomically (temp file, fsync, rename): the
 * SDK's own file provider overwrites in place, so a crash mid-write would cost the last known stages exactly when
 * Unleash is down. The SDK names a key (its app name); one store owns one file, so the key is not needed.
 */
export class UnleashBackupFile {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Settles once the last write has (or has failed). */
  idle(): Promise<void> {
    return this.writing.catch(() => {});
  }

  async get(): Promise<ClientFeaturesResponse | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return JSON.parse(text) as ClientFeaturesResponse;
  }

  set(_key: string, data: ClientFeaturesResponse): Promise<void> {
    this.writing = this.write(data);
    return this.writing;
  }

  private async write(data: ClientFeaturesResponse): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const file = await open(temporary, 'w');
      try {
        await file.writeFile(JSON.stringify(data));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
