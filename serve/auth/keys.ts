import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { configDir, ServeKeySchema, type LoadedConfig, type ServeKey } from '../../core/config.js';
import { BoscoError, messageOf } from '../../core/errors.js';

/** Generated keys start with this, so secret scanners and people recognise one that leaked. */
export const KEY_PREFIX = 'bosco_sk_';

const KeysFileSchema = z
  .object({ keys: z.array(ServeKeySchema) })
  .strict()
  .refine((file) => new Set(file.keys.map((k) => k.id)).size === file.keys.length, { message: 'key ids must be unique', path: ['keys'] });

/** The stored form of a key: `sha256:<hex>`. */
export function hashKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** A new key: 256 random bits, shown once and never stored. */
export function generateKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function generateKeyId(): string {
  return `key-${randomBytes(4).toString('hex')}`;
}

/** Where `bosco serve keys add` writes and the server reads: `serve.keysFile`, else `<workspace>/serve/keys.json`. */
export function keysFilePath(loaded: Pick<LoadedConfig, 'config' | 'file' | 'workspaceDir'>): string {
  const configured = loaded.config.serve.keysFile;
  if (!configured) return join(loaded.workspaceDir, 'serve', 'keys.json');
  return isAbsolute(configured) ? configured : resolve(configDir(loaded), configured);
}

/** The keys in the file; none when it does not exist yet. */
export function readKeysFile(path: string): ServeKey[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new BoscoError('CONFIG_UNREADABLE', `cannot read the API keys file ${path}: ${messageOf(error)}`, { hint: 'check its permissions, or point serve.keysFile elsewhere' });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new BoscoError('CONFIG_INVALID', `${path} is not valid JSON: ${messageOf(error)}`, { hint: 'fix the JSON, or remove the file and add the keys again with bosco serve keys add' });
  }
  const parsed = KeysFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BoscoError('CONFIG_INVALID', `${path}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, { hint: 'the file holds { "keys": [{ "id", "hash", "client" | "admin": true }] }' });
  }
  return parsed.data.keys;
}

/** Replaces the file atomically (temp file, fsync, rename), readable by its owner only: hashes are not secrets, but need not be public. */
export function writeKeysFile(path: string, keys: readonly ServeKey[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify({ keys }, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** The config's keys and the file's, refusing an id used twice (a revoke must name one key). */
export function mergeKeys(inline: readonly ServeKey[], fromFile: readonly ServeKey[], file: string): ServeKey[] {
  const inlineIds = new Set(inline.map((k) => k.id));
  const clash = fromFile.find((k) => inlineIds.has(k.id));
  if (clash) throw new BoscoError('CONFIG_INVALID', `API key id '${clash.id}' is both in the config and in ${file}`, { hint: 'give every key its own id' });
  return [...inline, ...fromFile];
}
