import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PlatformSettings } from '../../core/config.js';
import { BoscoError } from '../../core/errors.js';
import type { Platform } from '../../core/metric-row.js';

/** `BOSCO_GOOGLE_ADS_TOKEN` and so on, when the config names no credential source. */
export function defaultCredentialEnv(platform: Platform): string {
  return `BOSCO_${platform.toUpperCase()}_TOKEN`;
}

/**
 * Reads a platform's credential from the environment or a secret file. The value is returned to the caller
 * only; no message ever includes it.
 */
export function resolveCredential(
  platform: Platform,
  settings: PlatformSettings | undefined,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const source = settings?.credential ?? { env: defaultCredentialEnv(platform) };
  if ('env' in source) {
    const value = env[source.env]?.trim();
    if (!value) {
      throw new BoscoError('CREDENTIALS_MISSING', `${platform}: environment variable ${source.env} is not set`, {
        hint: `export ${source.env}=<token>, or point platforms.${platform}.credential at a secret file`,
      });
    }
    return value;
  }
  const path = resolve(baseDir, source.file);
  let value: string;
  try {
    value = readFileSync(path, 'utf8').trim();
  } catch {
    throw new BoscoError('CREDENTIALS_MISSING', `${platform}: cannot read the credential file ${path}`, {
      hint: `create the file with the token as its only content, or fix platforms.${platform}.credential.file`,
    });
  }
  if (!value) throw new BoscoError('CREDENTIALS_MISSING', `${platform}: the credential file ${path} is empty`, { hint: 'put the token in the file' });
  return value;
}
