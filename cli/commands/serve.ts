import Table from 'cli-table3';
import { z } from 'zod';
import { API_KEY_ID, loadConfig, type ServeKey } from '../../core/config.js';
import { BoscoError } from '../../core/errors.js';
import { generateKey, generateKeyId, hashKey, keysFilePath, mergeKeys, readKeysFile, writeKeysFile } from '../../serve/auth/keys.js';
import { buildServer, openServeDeps } from '../../serve/server.js';

const writer = (write?: (text: string) => void) => write ?? ((text: string) => process.stdout.write(text));

function usage(issue: z.core.$ZodIssue, hints: Record<string, string>): BoscoError {
  const field = String(issue.path[0] ?? '');
  return new BoscoError('USAGE', `--${field}: ${issue.message}`, { hint: hints[field] ?? 'see bosco serve --help' });
}

const ListenSchema = z.object({
  port: z.union([z.number(), z.string().regex(/^\d+$/, 'expected a whole number').transform(Number)]).pipe(z.number().int().min(0).max(65535)).optional(),
  host: z.string().min(1).optional(),
});

export interface ServeCommandOptions {
  config?: string;
  /** Default: serve.port of the config (8787); 0 picks a free port. */
  port?: number | string;
  /** Default: serve.host of the config (127.0.0.1). */
  host?: string;
  write?: (text: string) => void;
  /** Resolves when the server should stop; default: SIGINT or SIGTERM. */
  until?: (url: string) => Promise<void>;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');

/** `bosco serve [--port n] [--host h]`: the metrics API and the cutover dashboard until interrupted. */
export async function serveCommand(options: ServeCommandOptions): Promise<number> {
  const parsed = ListenSchema.safeParse({ port: options.port, host: options.host });
  if (!parsed.success) throw usage(parsed.error.issues[0]!, { port: 'give a port from 0 to 65535 (0 picks a free one)', host: 'give an interface address such as 127.0.0.1' });
  const write = writer(options.write);
  const loaded = await loadConfig({ explicitPath: options.config });
  const host = parsed.data.host ?? loaded.config.serve.host;
  const port = parsed.data.port ?? loaded.config.serve.port;
  const opened = await openServeDeps(loaded);
  try {
    const app = await buildServer(opened.deps);
    try {
      const url = await app.listen({ host, port });
      const keys = mergeKeys(loaded.config.serve.keys, readKeysFile(keysFilePath(loaded)), keysFilePath(loaded));
      const admins = keys.filter((k) => k.admin).length;
      write(
        `bosco serve listening on ${url} (workspace ${loaded.workspaceDir})\n` +
          `  GET /v1/clients/:id/metrics?from=YYYY-MM-DD&to=YYYY-MM-DD[&platform=…][&granularity=day|total]   GET /healthz   GET /readyz\n` +
          `  GET /dashboard and GET /v1/cutover with an admin key (a browser asks for it: any user name, the key as the password)\n` +
          (keys.length === 0
            ? `  No API keys yet: every /v1 request answers 401. Add one with: bosco serve keys add --client <id>\n`
            : `  ${keys.length} API key${keys.length === 1 ? '' : 's'} (${keys.length - admins} client, ${admins} admin); keys added with bosco serve keys add apply without a restart\n`) +
          (isLoopback(host) ? '' : `  Listening beyond this machine over plain HTTP: put a TLS-terminating proxy in front.\n`) +
          `  The workspace warehouse is held while requests come and let go between them: bosco flags and other commands get it in the gaps.\n`,
      );
      const until =
        options.until ??
        (() => new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        }));
      await until(url);
    } finally {
      await app.close();
    }
  } finally {
    await opened.close();
  }
  return 0;
}

const KeysAddSchema = z
  .object({
    client: z.string().min(1).optional(),
    admin: z.boolean().optional(),
    actor: z.string().min(1).optional(),
    id: z.string().regex(API_KEY_ID, 'expected letters, digits, . _ - (at most 64), starting with a letter or digit').optional(),
  })
  .refine((o) => (o.client !== undefined) !== (o.admin === true), { message: 'give either --client <id> or --admin', path: ['client'] })
  .refine((o) => o.actor === undefined || o.admin === true, { message: 'only admin keys act as someone', path: ['actor'] });

export interface ServeKeysAddOptions {
  config?: string;
  /** The one client the key reads. */
  client?: string;
  /** A key for every client and the cutover endpoints. */
  admin?: boolean;
  /** Who an admin key acts as in the audit log; default `key:<id>`. */
  actor?: string;
  /** Default: a random `key-xxxxxxxx`. */
  id?: string;
  format?: 'table' | 'json';
  write?: (text: string) => void;
}

/** `bosco serve keys add --client <id> | --admin [--actor name] [--id id]`: prints a new key once; stores only its hash. */
export async function serveKeysAddCommand(options: ServeKeysAddOptions): Promise<number> {
  const parsed = KeysAddSchema.safeParse({ client: options.client, admin: options.admin, actor: options.actor, id: options.id });
  if (!parsed.success) throw usage(parsed.error.issues[0]!, { client: 'bosco serve keys add --client acme-retail, or --admin for the cutover', actor: 'drop --actor, or add --admin', id: 'leave --id out for a random one' });
  const loaded = await loadConfig({ explicitPath: options.config });
  const client = parsed.data.client;
  if (client !== undefined && !loaded.config.clients.some((c) => c.id === client)) {
    const known = loaded.config.clients.map((c) => c.id);
    throw new BoscoError('UNKNOWN_CLIENT', `no client '${client}' in ${loaded.file ?? 'the config'}`, {
      hint: known.length > 0 ? `give one of the configured clients: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''}` : 'list the client under "clients" in the config first',
    });
  }
  const file = keysFilePath(loaded);
  const stored = readKeysFile(file);
  const existing = mergeKeys(loaded.config.serve.keys, stored, file);
  const id = parsed.data.id ?? generateKeyId();
  if (existing.some((k) => k.id === id)) throw new BoscoError('USAGE', `an API key with id '${id}' already exists`, { hint: 'choose another --id, or revoke the old key first (bosco serve keys revoke)' });
  const key = generateKey();
  const entry: ServeKey = parsed.data.admin
    ? { id, hash: hashKey(key), admin: true, ...(parsed.data.actor ? { actor: parsed.data.actor } : {}) }
    : { id, hash: hashKey(key), client: parsed.data.client! };
  writeKeysFile(file, [...stored, entry]);
  const write = writer(options.write);
  if (options.format === 'json') {
    write(JSON.stringify({ id, client: entry.client ?? null, admin: entry.admin === true, actor: entry.actor ?? null, key, keys_file: file }) + '\n');
  } else {
    write(
      `Added API key ${id} ${entry.admin ? `(admin${entry.actor ? `, acting as ${entry.actor}` : ''})` : `for client ${entry.client}`}; only its SHA-256 hash is stored, in ${file}.\n` +
        `The key, shown this once only:\n\n  ${key}\n\n` +
        `Send it as "authorization: Bearer <key>" or "x-api-key: <key>". A running bosco serve accepts it within a second.\n`,
    );
  }
  return 0;
}

/** `bosco serve keys list`: ids and what each key may read; never a hash. */
export async function serveKeysListCommand(options: { config?: string; format?: 'table' | 'json'; write?: (text: string) => void }): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const file = keysFilePath(loaded);
  const stored = readKeysFile(file);
  mergeKeys(loaded.config.serve.keys, stored, file);
  const rows = [...loaded.config.serve.keys.map((k) => ({ k, where: 'config' })), ...stored.map((k) => ({ k, where: file }))].map(({ k, where }) => ({
    id: k.id,
    kind: k.admin ? 'admin' : 'client',
    client: k.client ?? null,
    actor: k.admin ? (k.actor ?? `key:${k.id}`) : null,
    stored_in: where,
  }));
  const write = writer(options.write);
  if (options.format === 'json') write(JSON.stringify({ keys: rows }) + '\n');
  else if (rows.length === 0) write('no API keys; add one with bosco serve keys add --client <id> or --admin\n');
  else {
    const table = new Table({ head: ['id', 'kind', 'client / actor', 'stored in'], style: { head: [], border: [] } });
    for (const r of rows) table.push([r.id, r.kind, r.client ?? r.actor ?? '', r.stored_in]);
    write(`${table.toString()}\n`);
  }
  return 0;
}

/** `bosco serve keys revoke <id>`: removes a key from the keys file; a running server refuses it within a second. */
export async function serveKeysRevokeCommand(options: { config?: string; id: string; write?: (text: string) => void }): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  const file = keysFilePath(loaded);
  if (loaded.config.serve.keys.some((k) => k.id === options.id)) {
    throw new BoscoError('USAGE', `API key '${options.id}' is in the config file, not in ${file}`, { hint: `remove it from serve.keys in ${loaded.file}` });
  }
  const stored = readKeysFile(file);
  if (!stored.some((k) => k.id === options.id)) throw new BoscoError('USAGE', `no API key with id '${options.id}'`, { hint: 'bosco serve keys list shows the ids' });
  writeKeysFile(file, stored.filter((k) => k.id !== options.id));
  writer(options.write)(`Revoked API key ${options.id}; a running bosco serve refuses it within a second.\n`);
  return 0;
}
