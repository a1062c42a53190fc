import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PLATFORMS } from '../../core/metric-row.js';
import { makeTempDir, REPO_ROOT, runCli } from '../helpers/cli.js';

const TOKEN = 'sim-serve-token-5d1e';

/** `bosco sim serve` as a user starts it: a child process, with the URL it prints once it listens. */
async function serve(args: string[], cwd: string): Promise<{ child: ChildProcessWithoutNullStreams; url: string; banner: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/bosco.js'), 'sim', 'serve', ...args], { cwd, env: { ...process.env, BOSCO_LOG_LEVEL: 'silent' } });
  let banner = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sim serve printed no URL within 30 s: ${banner}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      banner += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`sim serve exited with ${code}: ${banner}`)));
  });
  return { child, url, banner };
}

/** Stops the child we started and returns its exit code. */
function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('bosco sim serve', () => {
  const dir = makeTempDir();
  const children: ChildProcessWithoutNullStreams[] = [];
  afterAll(async () => {
    await Promise.all(children.map(stop));
    dir.cleanup();
  });

  it('serves the platform APIs on 127.0.0.1 until stopped, and a fetch runs against it', async () => {
    const { child, url, banner } = await serve(['--token', TOKEN, '--seed', '7'], dir.path);
    children.push(child);
    expect(banner).toContain('a stand-in for the real ad and commerce APIs');

    // TikTok's advertiser info, with its own auth header; a wrong token gets TikTok's own error code.
    const info = `${url}/open_api/v1.3/advertiser/info/?advertiser_ids=${encodeURIComponent('["3001"]')}`;
    const good = (await (await fetch(info, { headers: { 'Access-Token': TOKEN } })).json()) as { code: number; data: { list: Array<{ advertiser_id: string; currency: string }> } };
    expect(good.code).toBe(0);
    expect(good.data.list[0]!.advertiser_id).toBe('3001');
    const bad = (await (await fetch(info, { headers: { 'Access-Token': 'nope' } })).json()) as { code: number };
    expect(bad.code).toBe(40105);

    const clients = [{ id: 'acme', accounts: [{ platform: 'meta_ads', accountId: '1001' }, { platform: 'shopify', accountId: 'acme-store' }] }];
    writeFileSync(join(dir.path, 'bosco.config.json'), JSON.stringify({ clients }));
    const env = Object.fromEntries(PLATFORMS.map((p) => [`BOSCO_${p.toUpperCase()}_TOKEN`, TOKEN]));
    const fetched = await runCli(['pipeline', 'fetch', '--date', '2026-11-20', '--base-url', url, '--format', 'json'], { cwd: dir.path, env });
    expect(fetched.code, fetched.stderr).toBe(0);
    const summary = JSON.parse(fetched.stdout) as { partitions: Array<{ status: string; records: number }> };
    expect(summary.partitions.map((p) => p.status)).toEqual(['landed', 'landed']);

    expect(await stop(child)).toBe(0);
  });

  it('refuses faults it does not know, exit 2, before listening', async () => {
    const result = await runCli(['sim', 'serve', '--faults', '{"meteor":true}'], { cwd: dir.path, timeoutMs: 30_000 });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^bosco: --faults: /);
  });
});
