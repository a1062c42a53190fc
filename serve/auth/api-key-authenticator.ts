import { createHash, timingSafeEqual } from 'node:crypto';
import { statSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyRequest } from 'fastify';
import type { ServeKey } from '../../core/config.js';
import { getLogger } from '../../core/logger.js';
import { ApiError } from '../api/errors.js';
import type { Authenticator, Caller } from '../types.js';
import { mergeKeys, readKeysFile } from './keys.js';

/** How often the keys file is looked at for changes. */
const KEYS_CHECK_MS = 1000;

interface KeyEntry {
  digest: Buffer;
  caller: Caller;
}

function entryOf(key: ServeKey): KeyEntry {
  const digest = Buffer.from(key.hash.slice('sha256:'.length), 'hex');
  const caller: Caller = key.admin ? { kind: 'admin', actor: key.actor ?? `key:${key.id}`, keyId: key.id } : { kind: 'client', clientId: key.client!, keyId: key.id };
  return { digest, caller };
}

const unauthorized = (basicRealm?: string) =>
  new ApiError(401, 'UNAUTHORIZED', 'CREDENTIALS_MISSING', 'missing or unknown API key', {
    hint: basicRealm
      ? 'give an admin key as the password of HTTP Basic auth (any user name), or send it as "authorization: Bearer <key>"; bosco serve keys add --admin makes one'
      : 'send the key as "authorization: Bearer <key>" or "x-api-key: <key>"; bosco serve keys add makes one',
    // Asks a browser for the key: its sign-in prompt, whose password is the key.
    headers: basicRealm ? { 'www-authenticate': `Basic realm="${basicRealm}", charset="UTF-8"` } : {},
  });

/** The one 403 for a client key used on another client, whether that client exists or not: nothing in it depends on the id asked for. */
const notYourClient = () => new ApiError(403, 'FORBIDDEN', 'CREDENTIALS_MISSING', 'this key may read only its own client', { hint: 'use the key issued for that client, or an admin key' });

/**
 * The key a request carries: the bearer token, or the password of HTTP Basic auth (the user name is ignored: a
 * browser asks for both), else `x-api-key`; undefined when there is none.
 */
function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const bearer = /^Bearer +(\S+) *$/i.exec(authorization);
    if (bearer) return bearer[1];
    const basic = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(authorization);
    if (!basic) return undefined;
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    return password.length > 0 ? password : undefined;
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.length > 0 ? header : undefined;
}

/**
 * Finds the key whose hash matches, comparing against every key in constant time and never stopping early, so how
 * long a check takes says nothing about which keys exist or how close a guess came.
 */
function match(entries: readonly KeyEntry[], key: string): Caller | undefined {
  const digest = createHash('sha256').update(key, 'utf8').digest();
  let found: Caller | undefined;
  for (const entry of entries) {
    const equal = timingSafeEqual(digest, entry.digest);
    if (equal && !found) found = entry.caller;
  }
  return found;
}

/** Checks `Authorization: Bearer` / `x-api-key` against hashed keys. */
export function apiKeyAuthenticator(keys: () => Promise<readonly ServeKey[]> | readonly ServeKey[]): Authenticator {
  let cached: { source: readonly ServeKey[]; entries: KeyEntry[] } | undefined;
  const entries = async () => {
    const source = await keys();
    if (cached?.source !== source) cached = { source, entries: source.map(entryOf) };
    return cached.entries;
  };
  const identify = async (request: FastifyRequest, basicRealm?: string): Promise<Caller> => {
    const key = presentedKey(request);
    const found = key === undefined ? undefined : match(await entries(), key);
    if (!found) throw unauthorized(basicRealm);
    return found;
  };
  return {
    caller: (request) => identify(request),
    async requireAdmin(request, options = {}) {
      const found = await identify(request, options.basicRealm);
      if (found.kind !== 'admin') throw new ApiError(403, 'FORBIDDEN', 'CREDENTIALS_MISSING', 'this needs an admin key', { hint: 'bosco serve keys add --admin makes one' });
      return found;
    },
  };
}

/** Whether `caller` may read `clientId`'s numbers: its own client, or any for an admin. */
export function authorizeClient(caller: Caller, clientId: string): void {
  if (caller.kind === 'client' && caller.clientId !== clientId) throw notYourClient();
}

/**
 * The config's keys plus the keys file, reread when the file changes (looked at at most once a second), so a key
 * added or revoked with `bosco serve keys` takes effect without a restart. A file that breaks keeps the last keys
 * read, with an error in the log, rather than locking every caller out.
 */
export function keyring(inline: readonly ServeKey[], file: string): () => Promise<readonly ServeKey[]> {
  // Looked at before reading, so a write landing in between is read again next time rather than missed.
  let seen = versionOf(statSync(file, { throwIfNoEntry: false }));
  let keys = mergeKeys(inline, readKeysFile(file), file);
  let checkedAt = Date.now();
  return async () => {
    if (Date.now() - checkedAt < KEYS_CHECK_MS) return keys;
    checkedAt = Date.now();
    const version = versionOf(await stat(file).catch(() => undefined));
    if (version === seen) return keys;
    try {
      keys = mergeKeys(inline, readKeysFile(file), file);
      seen = version;
    } catch (error) {
      getLogger().error({ err: error }, `keeping the API keys read before: ${file} could not be read`);
    }
    return keys;
  };
}

/** A file's identity and change time: keys files are replaced by rename, which changes the inode. */
function versionOf(stats: Stats | undefined): string {
  return stats ? `${stats.ino}:${stats.mtimeMs}:${stats.size}` : 'absent';
}
