import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, REPO_ROOT } from '../../helpers/cli.js';

/** The project's files as they stand (tracked, and new ones not ignored), copied to `dir`; dependencies linked. */
function copyProject(dir: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' });
  const files = [...new Set(listed.split('\0').filter(Boolean))].filter((file) => existsSync(join(REPO_ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(dir, file));
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
}

function edit(path: string, from: string, to: string): void {
  const text = readFileSync(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${path} no longer holds ${from}`);
  writeFileSync(path, text.replace(from, to));
}

/** What the README promises: a new platform is one folder, one registry line and its name in the canonical list. */
describe('adding a sixth platform', () => {
  const dir = makeTempDir();
  afterAll(() => dir.cleanup());

  it('takes one folder, one registry line and its canonical name, and the whole project, tests included, still typechecks', () => {
    copyProject(dir.path);
    const folder = join(dir.path, 'new-pipeline', 'connectors', 'pinterest-ads');
    mkdirSync(folder);
    // A stand-in platform: another platform's connector and transform under the new name are enough for the types.
    writeFileSync(
      join(folder, 'index.ts'),
      `import type { PlatformDefinition } from '../types.js';
import { tiktokAdsConnector } from '../tiktok-ads/tiktok-ads-connector.js';
import { tiktokAdsTransform } from '../tiktok-ads/tiktok-ads-transform.js';

export const pinterestAdsPlatform = {
  connector: { ...tiktokAdsConnector, platform: 'pinterest_ads' },
  transform: { ...tiktokAdsTransform, platform: 'pinterest_ads' },
  conversions: { default: ['checkout'] },
  restatementDays: 7,
} as PlatformDefinition;
`,
    );
    const registry = join(dir.path, 'new-pipeline', 'connectors', 'index.ts');
    edit(registry, "import { tiktokAdsPlatform } from './tiktok-ads/index.js';", "import { tiktokAdsPlatform } from './tiktok-ads/index.js';\nimport { pinterestAdsPlatform } from './pinterest-ads/index.js';");
    edit(registry, '  tiktokAdsPlatform,\n', '  tiktokAdsPlatform,\n  pinterestAdsPlatform,\n');
    edit(join(dir.path, 'core', 'metric-row.ts'), "'tiktok_ads'] as const", "'tiktok_ads', 'pinterest_ads'] as const");

    const tsc = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', dir.path], { encoding: 'utf8', timeout: 240_000 });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 300_000);
});
