import type { PlatformDefinition } from '../types.js';
import { metaAdsConnector, type MetaInsightsRow } from './meta-ads-connector.js';
import { metaAdsTransform } from './meta-ads-transform.js';

export const metaAdsPlatform: PlatformDefinition<MetaInsightsRow> = {
  connector: metaAdsConnector,
  transform: metaAdsTransform,
  // Not `omni_purchase` as well: Meta reports it as a superset of `purchase`, so listing both counts purchases twice.
  conversions: { default: ['purchase'] },
  restatementDays: 7,
};
