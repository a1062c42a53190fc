import type { PlatformDefinition } from '../types.js';
import { tiktokAdsConnector, type TiktokReportRow } from './tiktok-ads-connector.js';
import { tiktokAdsTransform } from './tiktok-ads-transform.js';

export const tiktokAdsPlatform: PlatformDefinition<TiktokReportRow> = {
  connector: tiktokAdsConnector,
  transform: tiktokAdsTransform,
  // `conversion` counts the campaign's optimisation event, which need not be a purchase.
  conversions: { default: ['complete_payment'], choices: ['complete_payment', 'conversion'] },
  restatementDays: 7,
};
