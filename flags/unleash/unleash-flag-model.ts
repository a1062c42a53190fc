import { z } from 'zod';
import { STAGES, type Stage } from '../types.js';

/**
 * How the migration's stages live in Unleash: ONE feature flag (default `bosco-migration-stage`) in one
 * environment, whose strategies are evaluated in order and whose first matching strategy's variant names the
 * client's stage (`legacy`, `shadow`, `live`, `complete`). A client whose context matches no strategy (or a
 * strategy without a stage variant, or the flag switched off in the environment) is `legacy`, so switching the
 * flag off is a kill switch that sends every client back to the legacy side.
 *
 * - A client's own stage is a strategy the store writes: `flexibleRollout` at 100 %, titled `bosco:client:<id>`,
 *   with one constraint `clientId IN [<id>]` and one variant named for the stage whose JSON payload
 *   `{"clientId","version"}` carries the version a write must name. New ones are put before every existing
 *   strategy, so a client's own stage overrides any cohort it belongs to.
 * - A cohort is any other strategy with a stage variant, added after the clients' own ones, e.g. all clients of an
 *   agency (constraint `agencyId IN [..]`) or a share of clients (`flexibleRollout` at 20 % with stickiness
 *   `clientId`, so a client's bucket never changes). Its members read the cohort's stage with the version
 *   `cohort:<stage>`; a write gives such a client its own strategy.
 *
 * The SDK resolves a client with the context `{ userId: clientId, properties: { clientId, agencyId } }`, the agency
 * coming from the client's `agency` in config (absent when it has none).
 */
export const DEFAULT_FLAG_NAME = 'bosco-migration-stage';

/** The context field carrying the client id: constraints and percentage stickiness use it. */
export const CLIENT_FIELD = 'clientId';

/** The context field carrying the client's agency: an agency cohort's constraint uses it. */
export const AGENCY_FIELD = 'agencyId';

const COHORT_VERSION_PREFIX = 'cohort:';

/** The part of a strategy, from the admin or the client API, that the model reads. */
export interface StrategyLike {
  constraints?: ReadonlyArray<{ contextName: string; operator: string; values?: readonly string[]; inverted?: boolean }>;
  variants?: ReadonlyArray<{ name: string; payload?: { type: string; value: string } }>;
}

/** A client's own strategy, as read back. */
export interface ClientEntry {
  clientId: string;
  stage: Stage;
  version: string;
  /** The payload exactly as stored: a write's JSON-patch `test` compares it. */
  payload: string;
}

const PayloadSchema = z.object({ clientId: z.string(), version: z.string().min(1) });

export function stageNamed(name: string): Stage | undefined {
  return (STAGES as readonly string[]).includes(name) ? (name as Stage) : undefined;
}

export function clientContext(clientId: string, agency?: string): { userId: string; properties: Record<string, string> } {
  return { userId: clientId, properties: { [CLIENT_FIELD]: clientId, ...(agency === undefined ? {} : { [AGENCY_FIELD]: agency }) } };
}

export function payloadOf(clientId: string, version: string): string {
  return JSON.stringify({ clientId, version });
}

/** The version carried by a variant's payload, when the payload is this client's own. */
export function ownVersionIn(payload: { value: string } | undefined, clientId: string): string | undefined {
  const parsed = parsePayload(payload?.value);
  return parsed?.clientId === clientId ? parsed.version : undefined;
}

/** A strategy the store wrote for one client; undefined for anything else (a cohort, a hand-made strategy). */
export function clientEntryOf(strategy: StrategyLike): ClientEntry | undefined {
  const constraint = strategy.constraints?.length === 1 ? strategy.constraints[0] : undefined;
  const variant = strategy.variants?.length === 1 ? strategy.variants[0] : undefined;
  if (!constraint || !variant || constraint.contextName !== CLIENT_FIELD || constraint.operator !== 'IN' || constraint.inverted) return undefined;
  const clientId = constraint.values?.length === 1 ? constraint.values[0] : undefined;
  const stage = stageNamed(variant.name);
  const version = clientId === undefined ? undefined : ownVersionIn(variant.payload, clientId);
  if (clientId === undefined || !stage || version === undefined) return undefined;
  return { clientId, stage, version, payload: variant.payload!.value };
}

export function cohortVersion(stage: Stage): string {
  return `${COHORT_VERSION_PREFIX}${stage}`;
}

/** The client's own version a record names: none for a stage inherited from a cohort. */
export function ownVersionOf(version: string | undefined): string | undefined {
  return version?.startsWith(COHORT_VERSION_PREFIX) ? undefined : version;
}

/** The strategy giving one client its own stage. */
export function clientStrategy(flagName: string, clientId: string, stage: Stage, version: string, sortOrder: number) {
  return {
    name: 'flexibleRollout',
    title: `bosco:client:${clientId}`,
    sortOrder,
    parameters: { rollout: '100', stickiness: 'default', groupId: flagName },
    constraints: [{ contextName: CLIENT_FIELD, operator: 'IN', values: [clientId], inverted: false, caseInsensitive: false }],
    variants: [{ name: stage, weight: 1000, weightType: 'variable', stickiness: 'default', payload: { type: 'json', value: payloadOf(clientId, version) } }],
  };
}

function parsePayload(value: string | undefined): z.infer<typeof PayloadSchema> | undefined {
  if (value === undefined) return undefined;
  try {
    return PayloadSchema.safeParse(JSON.parse(value)).data;
  } catch {
    return undefined;
  }
}
