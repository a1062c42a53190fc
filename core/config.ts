import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { isValidTimeZone } from './dates.js';
import { BoscoError, messageOf } from './errors.js';
import { CANONICAL_COLUMNS, METRIC_COLUMNS, PLATFORMS } from './metric-row.js';

const CANONICAL_NAMES = CANONICAL_COLUMNS.map((column) => column.name) as [string, ...string[]];

export const ToleranceSchema = z
  .object({
    /** Largest absolute difference that still matches. */
    abs: z.number().nonnegative().optional(),
    /** Largest difference relative to the legacy value that still matches. */
    rel: z.number().nonnegative().optional(),
  })
  .strict();
export type ToleranceOverride = z.infer<typeof ToleranceSchema>;

const MetricTolerancesSchema = z.partialRecord(z.enum(METRIC_COLUMNS), ToleranceSchema);
export type MetricTolerances = z.infer<typeof MetricTolerancesSchema>;

/**
 * How one canonical column is read from a legacy table: a column name, a column with a transformation,
 * or a fixed value for every row.
 */
export const ColumnMappingSchema = z.union([
  z.string().min(1),
  z
    .object({
      column: z.string().min(1),
      /** Multiplies a numeric column, e.g. 0.000001 for cost in micros. */
      scale: z.number().positive().optional(),
      /** Replaces values, e.g. { "FB": "meta_ads" }; values not listed pass through unchanged. */
      values: z.record(z.string(), z.string()).optional(),
      /** `timestamp`: the column holds a timestamp whose calendar day is the date. */
      type: z.enum(['date', 'timestamp']).optional(),
      /** With `type: timestamp`, the zone whose calendar day counts (default: the timestamp as stored). */
      timeZone: z.string().refine(isValidTimeZone, 'not a known IANA time zone').optional(),
    })
    .strict(),
  z.object({ fixed: z.string() }).strict(),
]);
export type ColumnMapping = z.infer<typeof ColumnMappingSchema>;

export const MappingSchema = z
  .object({
    /** Canonical column → where it comes from. A canonical column not listed is read from a column of the same name. */
    columns: z.partialRecord(z.enum(CANONICAL_NAMES), ColumnMappingSchema).default({}),
  })
  .strict();
export type Mapping = z.infer<typeof MappingSchema>;

export const SourceEntrySchema = z.union([
  z.string().min(1),
  z.object({ uri: z.string().min(1), mapping: z.string().min(1).optional() }).strict(),
]);
export type SourceEntry = z.infer<typeof SourceEntrySchema>;

export const ClientSchema = z
  .object({
    id: z.string().min(1),
    /** The client's reporting time zone: its "day" and its 08:00 deadline. Default: reportingTimeZone. */
    timeZone: z.string().refine(isValidTimeZone, 'not a known IANA time zone').optional(),
    /** The client's reporting currency (ISO 4217). */
    currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as USD').default('USD'),
    /** The ad and commerce accounts the client has connected. */
    accounts: z.array(z.object({ platform: z.enum(PLATFORMS), accountId: z.string().min(1) }).strict()).default([]),
  })
  .strict();
export type ClientConfig = z.infer<typeof ClientSchema>;

export const PlatformLimitsSchema = z
  .object({
    requestsPerSecond: z.number().positive(),
    burst: z.number().positive(),
    perAccountRequestsPerSecond: z.number().positive(),
    concurrency: z.number().int().positive(),
    timeoutMs: z.number().int().positive(),
    maxRetries: z.number().int().nonnegative(),
    maxThrottleWaits: z.number().int().nonnegative(),
    backoffBaseMs: z.number().int().nonnegative(),
    backoffMaxMs: z.number().int().nonnegative(),
    breakerFailures: z.number().int().positive(),
    breakerCooldownMs: z.number().int().nonnegative(),
  })
  .partial()
  .strict();

export const PlatformSettingsSchema = z
  .object({
    /** Where the platform's API is; default its real address. Point it at `bosco sim serve` to try the pipeline. */
    baseUrl: z.url().optional(),
    /** Where the credential comes from: an environment variable or a file. Never the config itself. */
    credential: z.union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()]).optional(),
    limits: PlatformLimitsSchema.optional(),
  })
  .strict();
export type PlatformSettings = z.infer<typeof PlatformSettingsSchema>;

export const ConfigSchema = z
  .object({
    /** Folder holding the embedded warehouse and the tool's state; relative to the config file. */
    workspace: z.string().min(1).default('.bosco'),
    /** Zone in which `today` and `yesterday` are computed. */
    reportingTimeZone: z.string().refine(isValidTimeZone, 'not a known IANA time zone').default('UTC'),
    warehouse: z
      .object({
        kind: z.literal('duckdb').default('duckdb'),
        /** DuckDB file; default `<workspace>/warehouse.duckdb`. */
        path: z.string().min(1).optional(),
        /** DuckDB memory limit; beyond it work spills to disk, so memory stays bounded on any data size. */
        memoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'expected a size such as 1GB').default('1GB'),
        threads: z.number().int().positive().optional(),
      })
      .strict()
      .default({ kind: 'duckdb', memoryLimit: '1GB' }),
    sources: z
      .object({ legacy: SourceEntrySchema, new: SourceEntrySchema })
      .partial()
      .strict()
      .default({}),
    mappings: z.record(z.string(), MappingSchema).default({}),
    clients: z
      .array(ClientSchema)
      .default([])
      .refine((clients) => new Set(clients.map((c) => c.id)).size === clients.length, 'client ids must be unique'),
    platforms: z.partialRecord(z.enum(PLATFORMS), PlatformSettingsSchema).default({}),
    fetch: z
      .object({
        /** Open connections across all platforms at once. */
        sockets: z.number().int().positive().default(32),
        /** Partitions (client × platform) fetched at once. */
        partitions: z.number().int().positive().default(16),
      })
      .strict()
      .default({ sockets: 32, partitions: 16 }),
    reconcile: z
      .object({
        /** Per-metric tolerances over the built-in defaults. */
        tolerances: MetricTolerancesSchema.default({}),
        /** Per-client overrides, by client id. */
        clients: z.record(z.string(), z.object({ tolerances: MetricTolerancesSchema }).strict()).default({}),
        /** Most row-level differences a report carries. */
        limit: z.number().int().positive().default(1000),
      })
      .strict()
      .default({ tolerances: {}, clients: {}, limit: 1000 }),
  })
  .strict();

export type BoscoConfig = z.infer<typeof ConfigSchema>;

/** A validated config plus where it came from; paths in it are already absolute. */
export interface LoadedConfig {
  config: BoscoConfig;
  /** The config file, or undefined when the embedded defaults apply. */
  file: string | undefined;
  /** Absolute workspace folder. */
  workspaceDir: string;
  /** Absolute path of the embedded warehouse file. */
  warehousePath: string;
}

export const CONFIG_FILE_NAMES = ['bosco.config.json', 'bosco.config.ts'];

/** Turns zod issues into one line that names the field and says how to fix it. */
export function describeConfigIssues(error: z.ZodError, file: string): BoscoError {
  const issue = error.issues[0]!;
  const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  let problem = issue.message;
  let hint = `fix ${path} in ${file}; see the README's configuration section`;
  if (issue.code === 'unrecognized_keys') {
    problem = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `'${key}'`).join(', ')}`;
    hint = `remove or correct ${issue.keys.join(', ')} at ${path} in ${file}`;
  }
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : '';
  return new BoscoError('CONFIG_INVALID', `${file}: ${path}: ${problem}${more}`, { hint });
}

export function parseConfig(raw: unknown, file: string): BoscoConfig {
  const result = ConfigSchema.safeParse(raw ?? {});
  if (!result.success) throw describeConfigIssues(result.error, file);
  return result.data;
}

async function readConfigFile(file: string): Promise<unknown> {
  if (file.endsWith('.ts')) {
    try {
      const { tsImport } = await import('tsx/esm/api');
      const module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown };
      // Outside an ESM package tsx loads the file as CommonJS, which nests the default export one level deeper.
      const exported = module.default as { default?: unknown; __esModule?: boolean } | undefined;
      return exported && typeof exported === 'object' && 'default' in exported ? exported.default : exported;
    } catch (error) {
      throw new BoscoError('CONFIG_UNREADABLE', `${file} could not be loaded: ${messageOf(error)}`, {
        hint: 'the file must `export default` a config object',
        cause: error,
      });
    }
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new BoscoError('CONFIG_UNREADABLE', `cannot read config ${file}: ${messageOf(error)}`, {
      hint: 'pass an existing file with --config, or run without one to use the embedded defaults',
      cause: error,
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BoscoError('CONFIG_INVALID', `${file} is not valid JSON: ${messageOf(error)}`, {
      hint: 'fix the JSON syntax (a trailing comma or a missing quote is the usual cause)',
      cause: error,
    });
  }
}

/**
 * Loads the config named by `explicitPath`, else `bosco.config.json` / `bosco.config.ts` in `cwd`, else the
 * embedded defaults (a `.bosco/` workspace with a DuckDB file).
 */
export async function loadConfig(options: { explicitPath?: string; cwd?: string } = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  let file: string | undefined;
  if (options.explicitPath) {
    file = resolve(cwd, options.explicitPath);
    if (!existsSync(file)) {
      throw new BoscoError('CONFIG_UNREADABLE', `config file ${file} does not exist`, {
        hint: 'check the --config path, or omit --config to use the embedded defaults',
      });
    }
  } else {
    file = CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)).find((candidate) => existsSync(candidate));
  }
  const config = parseConfig(file ? await readConfigFile(file) : {}, file ?? 'embedded defaults');
  const baseDir = file ? dirname(file) : cwd;
  const workspaceDir = isAbsolute(config.workspace) ? config.workspace : resolve(baseDir, config.workspace);
  const warehousePath = config.warehouse.path
    ? resolve(baseDir, config.warehouse.path)
    : resolve(workspaceDir, 'warehouse.duckdb');
  return { config, file, workspaceDir, warehousePath };
}
