import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../helpers/cli.js';
import { createScratchPostgres, type ScratchPostgres } from '../helpers/factories.js';

/** A real Unleash server (the `unleash-server` package) on a scratch database of the local PostgreSQL. */
export interface UnleashTestServer {
  /** The API root the SDK and the admin API hang off, e.g. `http://127.0.0.1:43123/api`. */
  url: string;
  adminToken: string;
  /** A backend token for the `production` environment, the store's default. */
  clientToken: string;
  /** Stops the server (the database stays); safe to call twice. */
  stop(): Promise<void>;
  /** Stops the server and drops its database. */
  cleanup(): Promise<void>;
}

// Migrating an empty database takes about 3 s on an idle machine, several times that on a busy CI runner.
const START_TIMEOUT_MS = 45_000;

/**
 * The server runs in its own process, so its pools, schedulers and signal handlers never live in the vitest worker,
 * and as plain JavaScript, because loading unleash-server through tsx doubles its start. Settings come in
 * UNLEASH_TEST_SERVER (JSON); once listening it prints `listening <port>`. On SIGTERM unleash-server's graceful
 * shutdown stops it and exits.
 */
const SERVER_SCRIPT = `
const { ApiTokenType, LogLevel, start } = await import(process.env.UNLEASH_SERVER_MODULE);
const settings = JSON.parse(process.env.UNLEASH_TEST_SERVER);
const unleash = await start({
  databaseUrl: settings.databaseUrl,
  db: { ssl: false },
  server: { host: '127.0.0.1', port: 0, gracefulShutdownTimeout: 100 },
  logLevel: LogLevel.error,
  versionCheck: { enable: false },
  telemetry: false,
  authentication: {
    createAdminUser: false,
    initApiTokens: [
      { tokenName: 'bosco-test-admin', type: ApiTokenType.ADMIN, projects: ['*'], environment: '*', secret: settings.adminToken },
      { tokenName: 'bosco-test-client', type: ApiTokenType.BACKEND, projects: ['*'], environment: 'production', secret: settings.clientToken },
    ],
  },
});
process.stdout.write('listening ' + unleash.server.address().port + '\\n');
`;

export async function startUnleashServer(): Promise<UnleashTestServer> {
  const postgres = await createScratchPostgres();
  const adminToken = `*:*.${randomBytes(16).toString('hex')}`;
  const clientToken = `*:production.${randomBytes(16).toString('hex')}`;
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child?.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const cleanup = async () => {
    await stop();
    await postgres.cleanup();
  };
  try {
    child = spawn(process.execPath, ['--input-type=module', '--eval', SERVER_SCRIPT], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        UNLEASH_SERVER_MODULE: pathToFileURL(createRequire(join(REPO_ROOT, 'package.json')).resolve('unleash-server')).href,
        UNLEASH_TEST_SERVER: JSON.stringify({ databaseUrl: `postgres://postgres@127.0.0.1:5432/${postgres.name}`, adminToken, clientToken }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const port = await listeningPort(child, postgres);
    return { url: `http://127.0.0.1:${port}/api`, adminToken, clientToken, stop, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function listeningPort(child: ChildProcess, postgres: ScratchPostgres): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`the Unleash test server on ${postgres.name} ${why}\n${stderr.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const port = /^listening (\d+)$/m.exec(stdout)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(Number(port));
      }
    });
    child.on('exit', (code, signal) => fail(`exited (${signal ?? code}) before listening`));
  });
}
