import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Platform } from '../../core/metric-row.js';
import { TokenBucket } from '../http/token-bucket.js';
import { createSimulatedGoogleAds } from './platforms/google-ads.js';
import { SIMULATED_PLATFORMS } from './platforms/index.js';
import type { SimFaults, SimRequest, SimResponse, SimulatedPlatform } from './types.js';
import { SimWorld, type WorldOptions } from './world.js';

/**
 * The platform simulator: a real HTTP server on 127.0.0.1 speaking the five platforms' reporting APIs, the
 * stand-in for the internet this machine cannot reach. Every platform lives under its own real path prefix,
 * so one server and one port serve all of them.
 */
export interface SimulatorOptions extends WorldOptions {
  port?: number;
  host?: string;
  /** The credential every platform expects (in that platform's own header). */
  token?: string;
  /**
   * The `developer-token` header Google Ads requires beside the bearer token, as the real API does (the connector
   * sends it from a `<token>|<developer token>` credential). Default: not checked, for callers holding one
   * credential for every platform.
   */
  developerToken?: string;
  faults?: SimFaults;
}

export interface PlatformCounters {
  requests: number;
  throttled: number;
  serverErrors: number;
  unauthorized: number;
  /** Answers held back by the `slow` fault. */
  slowed: number;
}

export interface RunningSimulator {
  /** Base URL for every platform, e.g. http://127.0.0.1:40123. */
  url: string;
  world: SimWorld;
  token: string;
  /** The developer token Google Ads requires, when one was set. */
  developerToken?: string;
  /** Per platform, since the simulator started or the faults were last set. */
  counters: Record<string, PlatformCounters>;
  /** Replaces the faults and zeroes the counters, the throttled accounts' counts and the pulls counted for restatements. */
  setFaults(faults: SimFaults): void;
  /**
   * Moves time on for every day at once, as if each had been pulled once more (with `restatements` on). The
   * simulator also counts real pulls itself: a later pull of an account's day reports more without this.
   */
  restate(): void;
  close(): Promise<void>;
}

/** Waits `ms`, or less when the client hangs up first: an answer nobody waits for should not hold a timer. */
function pause(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => (data += chunk));
    request.on('end', () => resolve(data));
    request.on('error', reject);
  });
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const world = new SimWorld(options);
  const { developerToken } = options;
  const routes = developerToken === undefined ? SIMULATED_PLATFORMS : SIMULATED_PLATFORMS.map((route) => (route.platform === 'google_ads' ? createSimulatedGoogleAds({ developerToken }) : route));
  const token = options.token ?? 'sim-token';
  let faults: SimFaults = options.faults ?? {};
  let generation = 0;
  const counters: Record<string, PlatformCounters> = {};
  const buckets = new Map<Platform, TokenBucket>();
  const errorBurstLeft = new Map<Platform, number>();
  /** Pulls started per platform/account/day, for restatements. */
  const pulls = new Map<string, number>();
  /** Requests per platform/account, for a throttle aimed at accounts. */
  const accountRequests = new Map<string, number>();

  function pullsBefore(platform: Platform, accountId: string, date: string, startsPull: boolean): number {
    if (!faults.restatements) return 0;
    const key = `${platform}/${accountId}/${date}`;
    const started = pulls.get(key) ?? 0;
    if (startsPull) pulls.set(key, started + 1);
    return generation + (startsPull ? started : Math.max(0, started - 1));
  }

  function counterFor(platform: Platform): PlatformCounters {
    counters[platform] ??= { requests: 0, throttled: 0, serverErrors: 0, unauthorized: 0, slowed: 0 };
    return counters[platform];
  }

  /** The generic faults, applied before the platform answers; undefined when the request goes through. */
  function fault(route: SimulatedPlatform, request: SimRequest, count: number): SimResponse | undefined {
    const c = counterFor(route.platform);
    const rate = faults.rateLimitPerSecond?.[route.platform];
    if (rate) {
      let bucket = buckets.get(route.platform);
      if (!bucket) buckets.set(route.platform, (bucket = new TokenBucket(rate, rate, Date.now())));
      const wait = bucket.tryTake(Date.now());
      if (wait > 0) {
        c.throttled += 1;
        return route.throttled(wait, 'platform');
      }
    }
    const throttle = faults.throttle;
    if (throttle && (!throttle.platforms || throttle.platforms.includes(route.platform))) {
      if (throttle.accounts) {
        const account = route.accountOf(request);
        if (account !== undefined && throttle.accounts.includes(account)) {
          const key = `${route.platform}/${account}`;
          const n = (accountRequests.get(key) ?? 0) + 1;
          accountRequests.set(key, n);
          if (n % throttle.every === 0) {
            c.throttled += 1;
            return route.throttled(throttle.retryAfterMs ?? 1000, 'account');
          }
        }
      } else if (count % throttle.every === 0) {
        c.throttled += 1;
        return route.throttled(throttle.retryAfterMs ?? 1000, 'platform');
      }
    }
    const errors = faults.serverErrors;
    if (errors && (!errors.platforms || errors.platforms.includes(route.platform))) {
      if (count % errors.every === 0) errorBurstLeft.set(route.platform, errors.burst);
      const left = errorBurstLeft.get(route.platform) ?? 0;
      if (left > 0) {
        errorBurstLeft.set(route.platform, left - 1);
        c.serverErrors += 1;
        return route.serverError();
      }
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[key.toLowerCase()] = value;
    const text = await readBody(req);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const request: SimRequest = { method: req.method ?? 'GET', pathname: url.pathname, query: url.searchParams, headers, body };
    const route = routes.find((platform) => platform.matches(request));
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no simulated API at ${req.method} ${url.pathname}` }));
      return;
    }
    const c = counterFor(route.platform);
    c.requests += 1;
    if (faults.latencyMs) await pause(faults.latencyMs, res);
    if (faults.slow && c.requests % faults.slow.every === 0) {
      c.slowed += 1;
      await pause(faults.slow.ms, res);
    }
    let answer: SimResponse;
    if (!route.authorized(request, token)) {
      c.unauthorized += 1;
      answer = route.unauthorized();
    } else {
      const platform = route.platform;
      answer = fault(route, request, c.requests) ?? route.handle(request, { world, faults, pullsBefore: (accountId, date, startsPull) => pullsBefore(platform, accountId, date, startsPull) });
    }
    let payload = JSON.stringify(answer.body);
    if (faults.truncate && c.requests % faults.truncate.every === 0 && answer.status < 300) payload = payload.slice(0, Math.floor(payload.length / 2));
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(payload);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(error) }));
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${address.port}`,
    world,
    token,
    ...(developerToken === undefined ? {} : { developerToken }),
    counters,
    setFaults(next) {
      faults = next;
      buckets.clear();
      errorBurstLeft.clear();
      pulls.clear();
      accountRequests.clear();
      // The `every`th-request schedules count from here, so a test knows which requests they hit.
      for (const platform of Object.keys(counters)) delete counters[platform];
    },
    restate() {
      generation += 1;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
