import { BoscoError } from '../../core/errors.js';
import { PLATFORMS, type Platform } from '../../core/metric-row.js';
import { ga4Connector } from './ga4/ga4-connector.js';
import { googleAdsConnector } from './google-ads/google-ads-connector.js';
import { metaAdsConnector } from './meta-ads/meta-ads-connector.js';
import { shopifyConnector } from './shopify/shopify-connector.js';
import { tiktokAdsConnector } from './tiktok-ads/tiktok-ads-connector.js';
import type { Connector } from './types.js';

/** Every connector, one per platform. Adding a platform is one folder beside this file and one line here. */
export const CONNECTORS: readonly Connector[] = [googleAdsConnector, metaAdsConnector, ga4Connector, shopifyConnector, tiktokAdsConnector] as readonly Connector[];

/** Where each platform's real API lives; config `platforms.<p>.baseUrl` (or `--base-url`) overrides it. */
export const DEFAULT_BASE_URLS: Record<Platform, string> = {
  google_ads: 'https://googleads.googleapis.com',
  meta_ads: 'https://graph.facebook.com',
  ga4: 'https://analyticsdata.googleapis.com',
  // Every shop is its own host; the connector fills in `{shop}` per account.
  shopify: 'https://{shop}.myshopify.com',
  tiktok_ads: 'https://business-api.tiktok.com',
};

export function connectorFor(platform: string): Connector {
  const connector = CONNECTORS.find((candidate) => candidate.platform === platform);
  if (!connector) {
    throw new BoscoError('USAGE', `no connector for platform '${platform}'`, { hint: `platforms are ${PLATFORMS.join(', ')}` });
  }
  return connector;
}

export type { Platform };
