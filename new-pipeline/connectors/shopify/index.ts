import type { PlatformDefinition } from '../types.js';
import { shopifyConnector } from './shopify-connector.js';
import type { ShopifyOrderRecord } from './shopify-schema.js';
import { shopifyTransform } from './shopify-transform.js';

export const shopifyPlatform: PlatformDefinition<ShopifyOrderRecord> = {
  connector: shopifyConnector,
  transform: shopifyTransform,
  conversions: { default: ['orders'], choices: ['orders'] },
  restatementDays: 1,
};
