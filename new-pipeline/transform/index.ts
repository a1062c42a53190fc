import { BoscoError } from '../../core/errors.js';
import { PLATFORMS } from '../../core/metric-row.js';
import { ga4Transform } from './ga4-transform.js';
import { googleAdsTransform } from './google-ads-transform.js';
import { metaAdsTransform } from './meta-ads-transform.js';
import { shopifyTransform } from './shopify-transform.js';
import { tiktokAdsTransform } from './tiktok-ads-transform.js';
import type { PlatformTransform } from './types.js';

/** Every transform, one per platform. Adding a platform is one file beside this one and one line here. */
export const TRANSFORMS: readonly PlatformTransform[] = [googleAdsTransform, metaAdsTransform, ga4Transform, shopifyTransform, tiktokAdsTransform] as readonly PlatformTransform[];

export function transformFor(platform: string): PlatformTransform {
  const transform = TRANSFORMS.find((candidate) => candidate.platform === platform);
  if (!transform) {
    throw new BoscoError('USAGE', `no transform for platform '${platform}'`, { hint: `platforms are ${PLATFORMS.join(', ')}` });
  }
  return transform;
}
