import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BoscoError, messageOf } from '../../core/errors.js';
import { PLATFORMS } from '../../core/metric-row.js';
import { startSimulator, type RunningSimulator } from '../../new-pipeline/simulator/server.js';
import type { SimFaults } from '../../new-pipeline/simulator/types.js';

const FaultsSchema = z
  .object({
    rateLimitPerSecond: z.partialRecord(z.enum(PLATFORMS), z.number().positive()),
    throttle: z
      .object({ every: z.number().int().positive(), retryAfterMs: z.number().int().nonnegative().optional(), platforms: z.array(z.enum(PLATFORMS)).optional(), accounts: z.array(z.string().min(1)).optional() })
      .strict(),
    serverErrors: z.object({ every: z.number().int().positive(), burst: z.number().int().positive(), platforms: z.array(z.enum(PLATFORMS)).optional() }).strict(),
    latencyMs: z.number().int().nonnegative(),
    slow: z.object({ every: z.number().int().positive(), ms: z.number().int().positive() }).strict(),
    truncate: z.object({ every: z.number().int().positive() }).strict(),
    drift: z.object({ platform: z.enum(PLATFORMS), kind: z.enum(['rename', 'add', 'type']) }).strict(),
    restatements: z.boolean(),
  })
  .partial()
  .strict();

/** Reads `--faults` as inline JSON or a JSON file. */
export function parseFaults(value: string | undefined): SimFaults {
  if (!value) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(value.trim().startsWith('{') ? value : readFileSync(value, 'utf8'));
  } catch (error) {
    throw new BoscoError('USAGE', `--faults is neither JSON nor a readable JSON file: ${messageOf(error)}`, { hint: `e.g. --faults '{"serverErrors":{"every":10,"burst":2}}'` });
  }
  const parsed = FaultsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BoscoError('USAGE', `--faults: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, {
      hint: 'fields: rateLimitPerSecond, throttle, serverErrors, latencyMs, slow, truncate, drift, restatements (see the README)',
    });
  }
  return parsed.data as SimFaults;
}

export interface SimServeOptions {
  port?: number;
  seed?: number;
  token?: string;
  /** The `developer-token` header Google Ads then requires; default: not checked. */
  developerToken?: string;
  faults?: string;
  spike?: string[];
  write?: (text: string) => void;
  /** Resolves when the server should stop; default: SIGINT or SIGTERM. */
  until?: (simulator: RunningSimulator) => Promise<void>;
}

/** `bosco sim serve`: the platform simulator on 127.0.0.1 until interrupted. */
export async function simServeCommand(options: SimServeOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const simulator = await startSimulator({ port: options.port ?? 0, seed: options.seed, token: options.token, developerToken: options.developerToken, faults: parseFaults(options.faults), spikeAccounts: options.spike });
  write(
    `Platform simulator (a stand-in for the real ad and commerce APIs) listening on ${simulator.url}\n` +
      `Every platform expects the token '${simulator.token}' in its own auth header.\n` +
      (simulator.developerToken === undefined
        ? ''
        : `Google Ads also requires the developer-token header '${simulator.developerToken}': BOSCO_GOOGLE_ADS_TOKEN='${simulator.token}|${simulator.developerToken}'.\n`) +
      `Try: BOSCO_META_ADS_TOKEN=${simulator.token} bosco pipeline fetch --date yesterday --base-url ${simulator.url}\n`,
  );
  const until =
    options.until ??
    (() => new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }));
  await until(simulator);
  await simulator.close();
  return 0;
}
