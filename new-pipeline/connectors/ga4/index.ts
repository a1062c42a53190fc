import type { PlatformDefinition } from '../types.js';
import { ga4Connector, type Ga4ReportRow } from './ga4-connector.js';
import { ga4Transform } from './ga4-transform.js';

export const ga4Platform: PlatformDefinition<Ga4ReportRow> = {
  connector: ga4Connector,
  transform: ga4Transform,
  conversions: { default: ['keyEvents'], choices: ['keyEvents'] },
  restatementDays: 3,
};
