import type { Platform } from '../../../core/metric-row.js';
import type { SimulatedPlatform } from '../types.js';
import { simulatedGa4 } from './ga4.js';
import { simulatedGoogleAds } from './google-ads.js';
import { simulatedMetaAds } from './meta-ads.js';
import { simulatedShopify } from './shopify.js';
import { simulatedTiktokAds } from './tiktok-ads.js';

/** Every simulated platform. Adding one is one file here and one line in this list. */
export const SIMULATED_PLATFORMS: readonly SimulatedPlatform[] = [simulatedGoogleAds, simulatedMetaAds, simulatedGa4, simulatedShopify, simulatedTiktokAds];

/** The platforms the simulator speaks: what the benchmarks and the demo can fetch. */
export const SIMULATED_PLATFORM_NAMES: readonly Platform[] = SIMULATED_PLATFORMS.map((route) => route.platform);
