import { BoscoError } from '../../core/errors.js';
import { PLATFORMS, type Platform } from '../../core/metric-row.js';
import { ga4Platform } from './ga4/index.js';
import { googleAdsPlatform } from './google-ads/index.js';
import { metaAdsPlatform } from './meta-ads/index.js';
import { shopifyPlatform } from './shopify/index.js';
import { tiktokAdsPlatform } from './tiktok-ads/index.js';
import type { Connector, PlatformDefinition } from './types.js';

/**
 * Every platform the pipeline speaks, one line each. Adding a platform is a folder beside this file (its connector,
 * transform, conversions and restatement window: see `PlatformDefinition`) and one line here, plus its name in the
 * canonical platform list (`PLATFORMS` in core), which every side validates rows against.
 */
export const PLATFORM_DEFINITIONS: readonly PlatformDefinition[] = [
  googleAdsPlatform,
  metaAdsPlatform,
  ga4Platform,
  shopifyPlatform,
  tiktokAdsPlatform,
] as readonly PlatformDefinition[];

export const CONNECTORS: readonly Connector[] = PLATFORM_DEFINITIONS.map((definition) => definition.connector);

export function platformDefinition(platform: string): PlatformDefinition {
  const definition = PLATFORM_DEFINITIONS.find((candidate) => candidate.connector.platform === platform);
  if (!definition) {
    throw new BoscoError('USAGE', `no connector for platform '${platform}'`, { hint: `platforms are ${PLATFORMS.join(', ')}` });
  }
  return definition;
}

export function connectorFor(platform: string): Connector {
  return platformDefinition(platform).connector;
}

export type { Platform };
