import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { isValidTimeZone } from './dates.js';
import { BoscoError, messageOf } from './errors.js';
import { CANONICAL_COLUMNS, METRIC_COLUMNS, PLATFORMS, type Platform } from './metric-row.js';

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

/** Per platform, the conversions a client counts; which names a platform takes is checked where its connector is known. */
const ConversionsSchema = z.partialRecord(z.enum(PLATFORMS), z.array(z.string().min(1)).min(1)).superRefine((conversions, ctx) => {
  for (const [platform, names = []] of Object.entries(conversions) as Array<[Platform, string[] | undefined]>) {
    // The names are summed: one listed twice would count its conversions twice.
    if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', path: [platform], message: 'a conversion is listed twice' });
  }
});

export const ClientSchema = z
  .object({
    id: z.string().min(1),
    /** The agency the client belongs to: rollout cohorts can take all of an agency's clients at once. */
    agency: z.string().min(1).optional(),
    /** The client's reporting time zone: its "day" and its 08:00 deadline. Default: reportingTimeZone. */
    timeZone: z.string().refine(isValidTimeZone, 'not a known IANA time zone').optional(),
    /** The client's reporting currency (ISO 4217). */
    currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as USD').default('USD'),
    /** The ad and commerce accounts the client has connected. */
    accounts: z.array(z.object({ platform: z.enum(PLATFORMS), accountId: z.string().min(1) }).strict()).default([]),
    /**
     * Per platform, the action types (Meta) or report metrics that count as conversions for this client, e.g.
     * `{ "meta_ads": ["lead"] }`; their values are summed into conversions and revenue. A platform not listed counts
     * its platform's default (`conversions` of its `PlatformDefinition`). Read it through `conversionsFor`.
     */
    conversions: ConversionsSchema.optional(),
    /** Spend budgets in the client's currency, for pacing (`bosco insights`). Default: none, and pacing says so. */
    budgets: z.object({ monthly: z.number().finite().nonnegative() }).strict().optional(),
  })
  .strict();
export type ClientConfig = z.infer<typeof ClientSchema>;


export const QualitySettingsSchema = z
  .object({
    /**
     * How far a partition may stray from the median of its trailing days before it is flagged (warn, never
     * blocked): flagged above `ratio` × the median or below the median / `ratio`. Defaults: rows 2, spend 3.
     */
    volumeBand: z
      .object({ rowsRatio: z.number().gt(1).default(2), spendRatio: z.number().gt(1).default(3) })
      .strict()
      .default({ rowsRatio: 2, spendRatio: 3 }),
    /** Days before a partition's day whose median it is compared with. Default 7. */
    trailingDays: z.number().int().positive().default(7),
    /** Fewest of those days that must have data for the comparison to be made at all. Default 3. */
    minHistoryDays: z.number().int().positive().default(3),
  })
  .strict()
  .refine((quality) => quality.minHistoryDays <= quality.trailingDays, { message: 'must not exceed trailingDays', path: ['minHistoryDays'] });
export type QualitySettings = z.infer<typeof QualitySettingsSchema>;

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

const DuckDbWarehouseSchema = z
  .object({
    kind: z.literal('duckdb'),
    /** DuckDB file; default `<workspace>/warehouse.duckdb`. */
    path: z.string().min(1).optional(),
    /** DuckDB memory limit; beyond it work spills to disk, so memory stays bounded on any data size. */
    memoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'expected a size such as 1GB').default('1GB'),
    threads: z.number().int().positive().optional(),
  })
  .strict();

const BigQueryWarehouseSchema = z
  .object({
    kind: z.literal('bigquery'),
    /** Google Cloud project the jobs run in and the dataset belongs to. */
    projectId: z.string().min(1),
    /** Dataset holding the workspace's tables: a table named without a dataset is read and written here. */
    dataset: z.string().regex(/^[A-Za-z0-9_]{1,1024}$/, 'expected a dataset id (letters, digits, underscores)'),
    /** The dataset's location, e.g. `EU` or `europe-west1`; jobs run there. Default: BigQuery's (`US`). */
    location: z.string().min(1).optional(),
    /** Root of the BigQuery API, e.g. an emulator or a private endpoint. Default: Google's. */
    apiEndpoint: z.url().optional(),
    /**
     * A service-account key: a file, or an environment variable holding the key's JSON. Never the config itself.
     * Default: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, the metadata server).
     */
    credential: z.union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()]).optional(),
  })
  .strict();
export type BigQueryWarehouseSettings = z.infer<typeof BigQueryWarehouseSchema>;

/** The workspace warehouse, by `kind`; without one it is DuckDB, so a config written before `kind` existed still reads. */
const WarehouseSettingsSchema = z.preprocess(
  (value) => (value !== null && typeof value === 'object' && !('kind' in value) ? { ...value, kind: 'duckdb' } : value),
  z.discriminatedUnion('kind', [DuckDbWarehouseSchema, BigQueryWarehouseSchema]),
);

const CredentialSourceSchema = z.union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()]);

const LocalBusSchema = z.object({ kind: z.literal('local') }).strict();

const PubSubBusSchema = z
  .object({
    kind: z.literal('pubsub'),
    /** Google Cloud project holding the topics and subscriptions. */
    projectId: z.string().min(1),
    /** Put before every topic and subscription name, so several workspaces can share a project. Default `bosco-`. */
    topicPrefix: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9._~+%-]{0,99}$/, 'expected a Pub/Sub name prefix (a letter, then letters, digits and . _ ~ + % -)')
      .refine((prefix) => !prefix.toLowerCase().startsWith('goog'), 'Pub/Sub names must not start with "goog"')
      .default('bosco-'),
    /**
     * Where the Pub/Sub API is, as `host:port`, e.g. an emulator or a regional endpoint. Default: the
     * PUBSUB_EMULATOR_HOST environment variable when set (no credentials are used then), else Google's.
     */
    apiEndpoint: z.string().min(1).optional(),
    /**
     * A service-account key: a file, or an environment variable holding the key's JSON. Never the config itself.
     * Default: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, the metadata server).
     */
    credential: CredentialSourceSchema.optional(),
  })
  .strict();
export type PubSubBusSettings = z.infer<typeof PubSubBusSchema>;

/** The event bus, by `kind`: the workspace's local event log (the default) or Google Cloud Pub/Sub. */
const BusSettingsSchema = z.discriminatedUnion('kind', [LocalBusSchema, PubSubBusSchema]);
export type BusSettings = z.infer<typeof BusSettingsSchema>;

/** Alerts a webhook can subscribe to; `reconcile.failed` also covers every reconcile that completed with status `fail`. */
export const ALERT_KINDS = ['sla.missed', 'quality.failed', 'reconcile.failed', 'client.rolled_back'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

const AlertWebhookSchema = z
  .object({
    /** Where the alert is POSTed as JSON. */
    url: z.url().refine((url) => /^https?:\/\//i.test(url), 'expected an http:// or https:// URL'),
    /** The alerts this webhook receives. */
    events: z.array(z.enum(ALERT_KINDS)).min(1),
    /** Environment variable holding the secret that signs each body (an HMAC-SHA256 header); unsigned without it. */
    secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name').optional(),
    /** How long one attempt may take. Default 5000 ms. */
    timeoutMs: z.number().int().positive().default(5000),
    /** Attempts after the first when the webhook cannot be reached, times out or answers 429 or 5xx. Default 3. */
    retries: z.number().int().nonnegative().default(3),
  })
  .strict();
export type AlertWebhookSettings = z.infer<typeof AlertWebhookSchema>;

export const AlertSettingsSchema = z.object({ webhooks: z.array(AlertWebhookSchema).default([]) }).strict();
export type AlertSettings = z.infer<typeof AlertSettingsSchema>;

const GateSchema = z
  .object({
    /** Consecutive final days of passing reconciles needed. */
    cleanDays: z.number().int().nonnegative(),
    /** Whether those days must also meet the 08:00 SLA. */
    requireSla: z.boolean().default(true),
  })
  .strict();

const ENV_NAME = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

/** Where clients' stages live: a file in the workspace (`local`, the default) or an Unleash feature flag. */
export const FlagStoreSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local') }).strict(),
  z
    .object({
      kind: z.literal('unleash'),
      /** Unleash's API root, e.g. `https://unleash.example.com/api`: the SDK reads `<url>/client/features`, writes go to `<url>/admin`. */
      url: z.url(),
      /** Environment variable holding a backend (client) API token for `environment`; every read needs it. */
      apiTokenEnv: ENV_NAME,
      /** Environment variable holding an admin API token (or a service account's) allowed to change the flag; only writes need it. */
      adminTokenEnv: ENV_NAME,
      /** The SDK's app name, shown in Unleash. Default `bosco`. */
      appName: z.string().min(1).optional(),
      /** The Unleash environment whose strategies carry the stages; the client token must be for it. Default `production`. */
      environment: z.string().min(1).optional(),
      /** The Unleash project holding the flag. Default `default`. */
      project: z.string().min(1).optional(),
      /** The migration's feature flag. Default `bosco-migration-stage`. */
      flagName: z.string().regex(/^[A-Za-z0-9_.~-]+$/, 'expected a URL-friendly flag name').optional(),
      /** The SDK's backup of the last flags it read, served when Unleash is down; relative to the config file. Default `<workspace>/flags/unleash-backup.json`. */
      backupPath: z.string().min(1).optional(),
    })
    .strict(),
]);
export type FlagStoreSettings = z.infer<typeof FlagStoreSchema>;

const FLAG_DEFAULTS = {
  gates: { live: { cleanDays: 7, requireSla: true }, complete: { cleanDays: 14, requireSla: true } },
  restatementDays: {},
  autoRollback: {},
};

export const FlagSettingsSchema = z
  .object({
    /** Where the stages live. Default (absent) `{ kind: 'local' }`: `<workspace>/flags/stages.json`. Read it through `openStageStore`. */
    store: FlagStoreSchema.optional(),
    /** The gate to enter each stage (entering shadow needs none). */
    gates: z
      .object({ live: GateSchema.default(FLAG_DEFAULTS.gates.live), complete: GateSchema.default(FLAG_DEFAULTS.gates.complete) })
      .strict()
      .default(FLAG_DEFAULTS.gates),
    /** Days a platform may still restate a day, over its own window (its `PlatformDefinition`); a younger day is pending, not clean. */
    restatementDays: z.partialRecord(z.enum(PLATFORMS), z.number().int().nonnegative()).default({}),
    /**
     * Opt-in per client: a `live` client whose reverse-shadow reconcile fails on more than `maxFailingMetrics`
     * metrics (or has missing or duplicate rows) is moved back to `shadow` by the shadow run.
     */
    autoRollback: z.record(z.string(), z.object({ maxFailingMetrics: z.number().int().nonnegative().default(0) }).strict()).default({}),
    /** The planned rollout, in order, for the cutover dashboard: each phase's clients and the stage they should reach (default `live`). Default: none. */
    phases: z.array(z.object({ name: z.string().min(1), clients: z.array(z.string().min(1)).min(1), target: z.enum(['shadow', 'live', 'complete']).default('live') }).strict()).optional(),
  })
  .strict();
export type FlagSettings = z.infer<typeof FlagSettingsSchema>;

/** Key ids name keys in logs, spans and `bosco serve keys`; they are not secret. */
export const API_KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * One API key of `bosco serve`, stored only as a hash. A key reads one client's numbers, or (admin) any client's and
 * the cutover endpoints. Keys must be high-entropy (`bosco serve keys add` makes 256-bit ones), which is why a plain
 * SHA-256 is enough: there is nothing to guess, and a slow hash would cost every request.
 */
export const ServeKeySchema = z
  .object({
    id: z.string().regex(API_KEY_ID, 'expected letters, digits, . _ - (at most 64)'),
    /** `sha256:<64 hex digits>` of the whole key. */
    hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 lowercase hex digits> (the hash, never the key)'),
    /** The one client this key reads. */
    client: z.string().min(1).optional(),
    /** Reads every client and may promote and roll back. */
    admin: z.literal(true).optional(),
    /** Who an admin key acts as in the audit log. Default `key:<id>`. */
    actor: z.string().min(1).optional(),
  })
  .strict()
  .refine((key) => (key.client !== undefined) !== (key.admin === true), { message: 'a key has either "client" or "admin": true, not both or neither' })
  .refine((key) => key.actor === undefined || key.admin === true, { message: '"actor" is for admin keys', path: ['actor'] });
export type ServeKey = z.infer<typeof ServeKeySchema>;

export const ServeSettingsSchema = z
  .object({
    /** Interface `bosco serve` binds. Default 127.0.0.1: only this machine; put a TLS proxy in front to expose it. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Port; 0 picks a free one. Default 8787. */
    port: z.number().int().min(0).max(65535).default(8787),
    /** Keys kept in the config itself (hashes only). */
    keys: z.array(ServeKeySchema).default([]),
    /** JSON file of more keys, `{ "keys": [...] }`, which `bosco serve keys add` writes; relative to the config file. Default `<workspace>/serve/keys.json`. */
    keysFile: z.string().min(1).optional(),
  })
  .strict()
  .refine((serve) => new Set(serve.keys.map((k) => k.id)).size === serve.keys.length, { message: 'key ids must be unique', path: ['keys'] });
export type ServeSettings = z.infer<typeof ServeSettingsSchema>;

const MODEL_RECOMMENDATION_DEFAULTS = { shiftShare: 0.2, max: 3, minDailySpend: 1 };
const MODEL_DEFAULTS = {
  trainingDays: 56,
  horizonDays: 7,
  minHistoryDays: 14,
  intervalLevel: 0.9,
  anomalyLevel: 0.99,
  pacingBand: 0.05,
  recommendations: MODEL_RECOMMENDATION_DEFAULTS,
  reconcile: { tolerances: {} },
};

/** Forecasts, pacing, anomalies and recommendations (`new-pipeline/models/`). */
export const ModelSettingsSchema = z
  .object({
    /** Days of history a forecast is fitted on, ending on the run's day. Default 56 (8 weeks). */
    trainingDays: z.number().int().min(14).max(366).default(MODEL_DEFAULTS.trainingDays),
    /** Days forecast after the run's day. Default 7. */
    horizonDays: z.number().int().min(1).max(31).default(MODEL_DEFAULTS.horizonDays),
    /** Fewest days with data a series needs to be forecast at all (the model has 8 terms). Default 14. */
    minHistoryDays: z.number().int().min(10).default(MODEL_DEFAULTS.minHistoryDays),
    /** Share of future values a prediction interval should hold. Default 0.9. */
    intervalLevel: z.number().gt(0).lt(1).default(MODEL_DEFAULTS.intervalLevel),
    /** The interval a day must leave to be an anomaly: wider than a forecast's, so a day of noise is not one. Default 0.99. */
    anomalyLevel: z.number().gt(0).lt(1).default(MODEL_DEFAULTS.anomalyLevel),
    /** Projected month-end spend within budget × (1 ± pacingBand) is on pace. Default 0.05. */
    pacingBand: z.number().nonnegative().lt(1).default(MODEL_DEFAULTS.pacingBand),
    recommendations: z
      .object({
        /** Share of the donor campaign's forecast spend a recommendation moves. Default 0.2. */
        shiftShare: z.number().gt(0).max(1).default(MODEL_RECOMMENDATION_DEFAULTS.shiftShare),
        /** Most recommendations per client. Default 3. */
        max: z.number().int().nonnegative().default(MODEL_RECOMMENDATION_DEFAULTS.max),
        /** Campaigns spending less than this per day on average are left out. Default 1. */
        minDailySpend: z.number().nonnegative().default(MODEL_RECOMMENDATION_DEFAULTS.minDailySpend),
      })
      .strict()
      .default(MODEL_RECOMMENDATION_DEFAULTS),
    /** Reconciling predictions tables: a forecast outside the other side's interval still matches within these. Default: spend, conversions, revenue `abs 0.01`, `rel 0`. */
    reconcile: z.object({ tolerances: MetricTolerancesSchema.default({}) }).strict().default({ tolerances: {} }),
  })
  .strict()
  .refine((models) => models.minHistoryDays <= models.trainingDays, { message: 'must not exceed trainingDays', path: ['minHistoryDays'] });
export type ModelSettings = z.infer<typeof ModelSettingsSchema>;

/** Days kept, counted back from today: raw payloads a year and a month (year-on-year replay), the rest a month. */
export const RETENTION_DEFAULTS = { rawDays: 400, stagedDays: 30, snapshotDays: 400, checkpointDays: 30 } as const;

const RetentionSettingsSchema = z
  .object({
    /** Landed raw payloads (both sides): what lineage points at and replay reads. */
    rawDays: z.number().int().positive().default(RETENTION_DEFAULTS.rawDays),
    /** Staged canonical partitions between transform and load. */
    stagedDays: z.number().int().positive().default(RETENTION_DEFAULTS.stagedDays),
    /** Legacy snapshots kept for reproducible reconciles. */
    snapshotDays: z.number().int().positive().default(RETENTION_DEFAULTS.snapshotDays),
    /** Shadow-run checkpoints (only `--resume` reads them). */
    checkpointDays: z.number().int().positive().default(RETENTION_DEFAULTS.checkpointDays),
  })
  .strict();
export type RetentionSettings = z.infer<typeof RetentionSettingsSchema>;

export const ConfigSchema = z
  .object({
    /** Folder holding the embedded warehouse and the tool's state; relative to the config file. */
    workspace: z.string().min(1).default('.bosco'),
    /** Zone in which `today` and `yesterday` are computed. */
    reportingTimeZone: z.string().refine(isValidTimeZone, 'not a known IANA time zone').default('UTC'),
    warehouse: WarehouseSettingsSchema.default({ kind: 'duckdb', memoryLimit: '1GB' }),
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
    /** Data-quality checks of the new pipeline's partitions. */
    quality: QualitySettingsSchema.default({ volumeBand: { rowsRatio: 2, spendRatio: 3 }, trailingDays: 7, minHistoryDays: 3 }),
    /** Where events go: the workspace's local event log unless configured. */
    bus: BusSettingsSchema.default({ kind: 'local' }),
    /** Webhooks told about missed SLAs, failed quality checks and failing reconciles. */
    alerts: AlertSettingsSchema.default({ webhooks: [] }),
    /** Shadow runs: the new pipeline beside the legacy system, reconciled daily, for clients in `shadow` or `live`. */
    shadow: z
      .object({
        /** Clients run at once in one process. */
        concurrency: z.number().int().positive().default(4),
      })
      .strict()
      .default({ concurrency: 4 }),
    /** How long the workspace keeps what piles up day after day (`bosco retention apply`). */
    retention: RetentionSettingsSchema.default(RETENTION_DEFAULTS),
    /** Per-client cutover: where stages live, and the evidence a promotion needs. */
    flags: FlagSettingsSchema.default(FLAG_DEFAULTS),
    /** Forecasts, budget pacing, anomalies and recommendations (`bosco models`, `bosco insights`). */
    models: ModelSettingsSchema.default(MODEL_DEFAULTS),
    /** The HTTP API (`bosco serve`): where it listens and the API keys it accepts. */
    serve: ServeSettingsSchema.default({ host: '127.0.0.1', port: 8787, keys: [] }),
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

/** The folder paths in the config are relative to: the config file's, else the working directory. */
export function configDir(loaded: Partial<Pick<LoadedConfig, 'file'>>): string {
  return loaded.file ? dirname(loaded.file) : process.cwd();
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
  const warehousePath =
    config.warehouse.kind === 'duckdb' && config.warehouse.path
      ? resolve(baseDir, config.warehouse.path)
      : resolve(workspaceDir, 'warehouse.duckdb');
  return { config, file, workspaceDir, warehousePath };
}
