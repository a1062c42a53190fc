import type { PlatformDefinition } from '../types.js';
import { googleAdsConnector, type GoogleAdsRow } from './google-ads-connector.js';
import { googleAdsTransform } from './google-ads-transform.js';

export const googleAdsPlatform: PlatformDefinition<GoogleAdsRow> = {
  connector: googleAdsConnector,
  transform: googleAdsTransform,
  conversions: { default: ['conversions'], choices: ['conversions'] },
  restatementDays: 3,
};
