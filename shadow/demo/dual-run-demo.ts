import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventBus } from '../../core/bus/index.js';
import { parseConfig, type ClientConfig, type LoadedConfig } from '../../core/config.js';
import { addDays, zonedTimeToUtc } from '../../core/dates.js';
import type { Warehouse } from '../../core/warehouse/index.js';
import { resolveSource } from '../../legacy-adapter/canonical-source.js';
import { LEGACY_EXPORT_TABLE } from '../../legacy-adapter/legacy-schema.js';
import { fxRateLookup, runLegacyDay, type LegacyQuirks } from '../../legacy-adapter/emulator/index.js';
import { fxRatesFor, importFxRates } from '../../new-pipeline/load/fx-rates.js';
import { simFxRatesCsv } from '../../new-pipeline/simulator/fx.js';
import type { SimWorld } from '../../new-pipeline/simulator/world.js';
import { promote } from '../../flags/cutover.js';
import type { StageStore } from '../../flags/types.js';
import { CheckpointStore } from '../checkpoints.js';
import { shadowEvidence } from '../gate-evidence.js';
import { runShadowDay, shadowClients, type ShadowDaySummary } from '../shadow-run.js';
import { sharedWarehouse } from '../../core/warehouse/access.js';
import { conversionsFor } from '../../new-pipeline/transform/conversions.js';
import { SIMULATED_PLATFORM_NAMES } from '../../new-pipeline/simulator/platforms/index.js';

/** Twenty agency clients; each connects some of the five platforms, in a few currencies and time zones. */
export const DEMO_CLIENT_IDS = [
  'acme-retail', 'bluefin-travel', 'cedar-dental', 'delta-fitness', 'ember-coffee',
  'fjord-outdoor', 'granite-legal', 'harbor-pet', 'iris-fashion', 'juniper-foods',
  'kestrel-home', 'lumen-solar', 'maple-beauty', 'nimbus-saas', 'orchid-spa',
  'pioneer-auto', 'quartz-jewelry', 'river-books', 'summit-ski', 'tidal-surf',
] as const;

const ZONES = ['America/New_York', 'Europe/London', 'Europe/Berlin', 'America/Los_Angeles', 'UTC'];
const CURRENCIES = ['USD', 'USD', 'EUR', 'GBP', 'USD'];

/** The demo's clients, deterministic: client i has platform p when (i + p) % 4 != 3, so most have four or five. */
export function demoClients() {
  return DEMO_CLIENT_IDS.map((id, i) => ({
    id,
    currency: id === 'kestrel-home' ? 'USD' : CURRENCIES[i % CURRENCIES.length]!,
    // kestrel-home is west of UTC, where the legacy system's UTC days show.
    timeZone: id === 'kestrel-home' ? 'America/New_York' : ZONES[i % ZONES.length]!,
    accounts: SIMULATED_PLATFORM_NAMES.filter((_, p) => (i + p) % 4 !== 3).map((platform) => ({
      platform,
      accountId: platform === 'shopify' ? `${id.replace(/-/g, '')}` : `${41 + i}${String(SIMULATED_PLATFORM_NAMES.indexOf(platform)).padStart(2, '0')}${7 + i}`,
    })),
  }));
}

/** What the demo's legacy system gets wrong, and for whom: the findings a dual run must surface and explain. */
export interface DemoFinding {
  clientId: string;
  quirk: keyof LegacyQuirks;
  what: string;
}

/**
 * The legacy quirks the demo turns on. The unconverted currency needs an account whose currency is not its
 * client's, which the simulator decides, so it is looked up.
 */
export function demoFindings(world: SimWorld): { quirks: LegacyQuirks; findings: DemoFinding[] } {
  const clients = demoClients();
  const harbor = clients.find((c) => c.id === 'harbor-pet')!;
  const foreign = harbor.accounts.find((a) => a.platform !== 'shopify' && world.account(a.platform, a.accountId).currency !== harbor.currency);
  const findings: DemoFinding[] = [
    { clientId: 'kestrel-home', quirk: 'utcDays', what: 'legacy counts UTC days; the client is in New York' },
    { clientId: 'maple-beauty', quirk: 'retryDoubleInsert', what: 'legacy retried an insert and wrote a page of rows twice' },
    { clientId: 'river-books', quirk: 'pixelPurchasesOnly', what: 'legacy counts only the Meta purchases its pixel saw' },
  ];
  const quirks: LegacyQuirks = { utcDays: { clients: ['kestrel-home'] }, retryDoubleInsert: { clients: ['maple-beauty'] }, pixelPurchasesOnly: { clients: ['river-books'] } };
  if (foreign) {
    quirks.unconvertedCurrency = { accounts: [foreign.accountId] };
    const currency = world.account(foreign.platform, foreign.accountId).currency;
    findings.push({ clientId: 'harbor-pet', quirk: 'unconvertedCurrency', what: `legacy left a ${currency} ${foreign.platform} account unconverted` });
  }
  return { quirks, findings: findings.sort((a, b) => a.clientId.localeCompare(b.clientId)) };
}

/** The demo workspace's config: the demo clients, every platform at the simulator, limits the simulator allows. */
export function demoConfig(base: LoadedConfig, simUrl: string, credentialEnv: string): LoadedConfig {
  return { ...base, config: parseConfig(demoConfigFile(base, simUrl, credentialEnv), 'the demo config') };
}

/** The demo config as a file holds it: what later commands (flags, dashboard, shadow run) read after the demo. */
export function demoConfigFile(base: LoadedConfig, simUrl: string, credentialEnv: string): Record<string, unknown> {
  const limits = { requestsPerSecond: 400, burst: 100, perAccountRequestsPerSecond: 400 };
  return {
    workspace: base.config.workspace,
    reportingTimeZone: base.config.reportingTimeZone,
    warehouse: base.config.warehouse,
    clients: demoClients(),
    platforms: Object.fromEntries(SIMULATED_PLATFORM_NAMES.map((p) => [p, { baseUrl: simUrl, credential: { env: credentialEnv }, limits }])),
    shadow: { concurrency: 4 },
    // The rollout the architecture plans, for the dashboard: everyone in shadow first, then a pilot, then the rest.
    flags: {
      phases: [
        { name: 'Month 1: every client in shadow', clients: [...DEMO_CLIENT_IDS], target: 'shadow' },
        { name: 'Month 2: pilot clients live', clients: DEMO_CLIENT_IDS.slice(0, 5), target: 'live' },
        { name: 'Month 3: most clients live', clients: DEMO_CLIENT_IDS.slice(5), target: 'live' },
      ],
    },
  };
}

/** When, in each client's own night, the demo's replayed nightly shadow runs count as done: well before 08:00. */
export const DEMO_NIGHTLY_RUN = '03:00';

export interface DualRunDemo {
  loaded: LoadedConfig;
  warehouse: Warehouse;
  bus: EventBus;
  stages: StageStore;
  world: SimWorld;
  simUrl: string;
  credential: string;
  lastDate: string;
  days: number;
  onDay?: (date: string, summary: ShadowDaySummary) => void;
}

/**
 * The whole dual run the demo shows: FX rates seeded, then for each of the last `days` days the legacy emulator
 * (quirks on) writes its export and the shadow run fetches, loads, snapshots and reconciles every client.
 */
export async function runDualRunDemo(demo: DualRunDemo): Promise<{ summaries: ShadowDaySummary[]; findings: DemoFinding[] }> {
  const { loaded, warehouse } = demo;
  const firstDate = addDays(demo.lastDate, -(demo.days - 1));
  const ratesFile = join(loaded.workspaceDir, 'demo-fx-rates.csv');
  writeFileSync(ratesFile, simFxRatesCsv(firstDate, demo.lastDate));
  await importFxRates(warehouse, ratesFile);
  const { quirks, findings } = demoFindings(demo.world);
  const access = sharedWarehouse(warehouse);
  // Every demo client enters shadow the way an operator moves one: through the cutover, with a reason on record.
  const cutover = { store: demo.stages, warehouse: access, bus: demo.bus, evidence: shadowEvidence(), clients: loaded.config.clients, settings: loaded.config.flags, actor: 'bosco demo', today: demo.lastDate };
  for (const client of loaded.config.clients) await promote(cutover, client.id, { reason: 'demo: start the dual run' });
  const env = {
    loaded,
    warehouse: access,
    bus: demo.bus,
    stages: demo.stages,
    checkpoints: new CheckpointStore(join(loaded.workspaceDir, 'shadow', 'checkpoints')),
    legacy: resolveSource({ uri: `warehouse:${LEGACY_EXPORT_TABLE}`, mapping: 'bosco_legacy_v1' }, loaded.config.mappings, 'the demo'),
    // Past nights replayed in one go are stamped as run in their night, so the SLA reads as the nightly runs would have.
    clock: (client: ClientConfig, date: string) =>
      new Date(Math.min(Date.now(), zonedTimeToUtc(addDays(date, 1), DEMO_NIGHTLY_RUN, client.timeZone ?? loaded.config.reportingTimeZone))),
  };
  const clients = shadowClients(loaded.config, await demo.stages.list());
  const summaries: ShadowDaySummary[] = [];
  for (let date = firstDate; date <= demo.lastDate; date = addDays(date, 1)) {
    const rates = fxRateLookup(await fxRatesFor(warehouse, [date]));
    await runLegacyDay({ clients, date, baseUrl: demo.simUrl, credential: demo.credential, target: warehouse, conversionsFor, quirks, fxRates: rates, defaultTimeZone: loaded.config.reportingTimeZone });
    const summary = await runShadowDay(env, { date, clients, concurrency: loaded.config.shadow.concurrency, resume: false });
    summaries.push(summary);
    demo.onDay?.(date, summary);
  }
  return { summaries, findings };
}
