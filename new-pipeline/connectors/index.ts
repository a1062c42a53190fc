import { BoscoError } from '../../core/errors.js';
import { PLATFORMS, type Platform } from '../../core/metric-row.js';
import { ga4Connector } from './ga4/ga4-connector.js';
import { googleAdsConnector } from './google-ads/google-ads-connector.js';
import { metaAdsConnector } from './meta-ads/meta-ads-connector.js';
import { shopifyConnector } from './shopify/shopify-connector.js';
import { tiktokAdsConnector } from './tiktok-ads/tiktok-ads-connector.js';
import type { Connector } from './types.js';

/** Every connector, one per platform: adding one is a folder beside this file and one line here (README § Adding a platform lists the rest of the pipeline's). */
export const CONNECTORS: readonly Connector[] = [googleAdsConnector, metaAdsConnector, ga4Connector, shopifyConnector, tiktokAdsConnector] as readonly Connector[];

export function connectorFor(platform: string): Connector {
  const connector = CONNECTORS.find((candidate) => candidate.platform === platform);
  if (!connector) {
    throw new BoscoError('USAGE', `no connector for platform '${platform}'`, { hint: `platforms are ${PLATFORMS.join(', ')}` });
  }
  return connector;
}

export type { Platform };
