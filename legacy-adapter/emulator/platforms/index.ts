import type { Platform } from '../../../core/metric-row.js';
import { legacyGa4 } from './legacy-ga4.js';
import { legacyGoogleAds } from './legacy-google-ads.js';
import { legacyMetaAds } from './legacy-meta-ads.js';
import { legacyShopify } from './legacy-shopify.js';
import { legacyTiktokAds } from './legacy-tiktok-ads.js';
import type { LegacyPlatformPuller } from './types.js';

/** How the legacy system pulled each platform it knew; a platform added since, it never pulled. */
export const LEGACY_PULLERS: Partial<Record<Platform, LegacyPlatformPuller>> = {
  google_ads: legacyGoogleAds,
  meta_ads: legacyMetaAds,
  ga4: legacyGa4,
  shopify: legacyShopify,
  tiktok_ads: legacyTiktokAds,
};
