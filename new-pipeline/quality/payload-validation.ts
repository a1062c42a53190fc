import { isBoscoError } from '../../core/errors.js';
import type { Platform } from '../../core/metric-row.js';
import { connectorFor } from '../connectors/index.js';
import type { AccountFacts } from '../connectors/types.js';
import type { LandedPage, PartitionHeader, PartitionKey } from '../landing/raw-landing.js';
import type { AccountRecords } from '../transform/types.js';
import { SAMPLE_SIZE, type QualityCheck } from './partition-quality.js';

/** A field a platform sent that its connector does not know: schema drift, recorded, never fatal. */
export interface DriftRecord {
  platform: Platform;
  /** Path in the response body, arrays as `[]`: `data[].new_field`. */
  field_path: string;
  /** When a payload first and last carried it (the page's `fetched_at`), and the run that first landed it. */
  first_seen_at: string;
  first_seen_run: string;
  last_seen_at: string;
}

/** A partition that is not loaded because a payload does not match its API's schema. */
export interface QuarantineRecord extends PartitionKey {
  /** The connector's PAYLOAD_INVALID message, naming the field path, and which page it came from. */
  reason: string;
}

/** What re-parsing a landed partition found. */
export interface PayloadValidation {
  /** Each account's records and facts, ready for `transformPartition`; empty when quarantined. */
  accounts: AccountRecords[];
  /** Unknown fields of the pages that parsed. */
  drift: DriftRecord[];
  quarantine: QuarantineRecord | null;
  /** `payload.schema` (pass or quarantine) and `payload.drift` (pass or warn). */
  checks: QualityCheck[];
}

/**
 * Re-parses a landed partition's pages with its platform's connector, as `readLandedPartition` returns them: every
 * record is validated against the API's schema. A page that does not match (a missing or mistyped required field)
 * quarantines the whole partition with the connector's reason; unknown fields become drift records.
 */
export function validatePayloads(partition: { header: PartitionKey & PartitionHeader; pages: readonly LandedPage[] }): PayloadValidation {
  const { header, pages } = partition;
  const key: PartitionKey = { date: header.date, platform: header.platform, clientId: header.clientId };
  const connector = connectorFor(header.platform);
  const accounts = new Map<string, { facts: AccountFacts; records: unknown[] }>(Object.entries(header.accounts).map(([id, facts]) => [id, { facts: { ...facts }, records: [] }]));
  const seen = new Map<string, { first: string; last: string }>();
  let quarantine: QuarantineRecord | null = null;
  let schema: QualityCheck = { check: 'payload.schema', outcome: 'pass', count: 0, message: `${pages.length} page(s) match the ${key.platform} API schema`, sample: [] };

  for (const [index, page] of pages.entries()) {
    const account = accounts.get(page.account_id) ?? accounts.set(page.account_id, { facts: {}, records: [] }).get(page.account_id)!;
    try {
      const parsed = connector.parse(page.body, { account: { clientId: key.clientId, platform: key.platform, accountId: page.account_id }, date: key.date }, page.request);
      account.records.push(...parsed.records);
      Object.assign(account.facts, parsed.account);
      for (const path of parsed.unknownFields) {
        const at = seen.get(path) ?? { first: page.fetched_at, last: page.fetched_at };
        seen.set(path, { first: at.first < page.fetched_at ? at.first : page.fetched_at, last: at.last > page.fetched_at ? at.last : page.fetched_at });
      }
    } catch (error) {
      // Only a payload that does not match its schema is the data's fault; anything else is a bug to surface.
      if (!isBoscoError(error) || error.code !== 'PAYLOAD_INVALID') throw error;
      const request = page.request.purpose ?? page.request.path;
      quarantine = { ...key, reason: `account ${page.account_id}, page ${index + 1} (${request}): ${error.message}` };
      schema = { check: 'payload.schema', outcome: 'quarantine', count: 1, message: quarantine.reason, sample: [{ account_id: page.account_id, page: index + 1, request, error: error.message }] };
      break;
    }
  }

  const drift = [...seen].map(([path, at]): DriftRecord => ({ platform: key.platform, field_path: path, first_seen_at: at.first, first_seen_run: header.run_id, last_seen_at: at.last }));
  const checks: QualityCheck[] = [
    schema,
    drift.length > 0
      ? { check: 'payload.drift', outcome: 'warn', count: drift.length, message: `${key.platform} sent ${drift.length} field(s) the connector does not know: ${drift.map((d) => d.field_path).join(', ')}`, sample: drift.slice(0, SAMPLE_SIZE).map((d) => ({ field_path: d.field_path })) }
      : { check: 'payload.drift', outcome: 'pass', count: 0, message: 'no unknown fields', sample: [] },
  ];
  return {
    accounts: quarantine ? [] : [...accounts].map(([accountId, { facts, records }]) => ({ accountId, facts, records })),
    drift,
    quarantine,
    checks,
  };
}

/**
 * Folds a partition's drift into what is already known, one record per platform and field: the earliest first
 * sighting (and its run) and the latest last one. `added` are the fields never seen before, to announce.
 */
export function mergeDrift(known: readonly DriftRecord[], observed: readonly DriftRecord[]): { records: DriftRecord[]; added: DriftRecord[] } {
  const byField = new Map(known.map((record) => [`${record.platform}\u0000${record.field_path}`, { ...record }]));
  const added: DriftRecord[] = [];
  for (const record of observed) {
    const id = `${record.platform}\u0000${record.field_path}`;
    const current = byField.get(id);
    if (!current) {
      byField.set(id, { ...record });
      added.push(record);
      continue;
    }
    if (record.first_seen_at < current.first_seen_at) Object.assign(current, { first_seen_at: record.first_seen_at, first_seen_run: record.first_seen_run });
    if (record.last_seen_at > current.last_seen_at) current.last_seen_at = record.last_seen_at;
  }
  return { records: [...byField.values()], added };
}
