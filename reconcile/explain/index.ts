import type { ClientResult, Difference } from '../types.js';

/**
 * A difference explainer: a pure rule that recognises one known cause of a difference from a client's
 * result and its row-level differences, and says it in a sentence. Explainers guess; the rows are the evidence.
 */
export interface DifferenceExplainer {
  name: string;
  description: string;
  explain(client: ClientResult, differences: readonly Difference[]): string | undefined;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

const mismatches = (differences: readonly Difference[]) =>
  differences.filter((d) => d.kind === 'value_mismatch' && d.legacy !== null && d.new !== null);

export const duplicateRows: DifferenceExplainer = {
  name: 'duplicate-rows',
  description: 'the same key written twice on one side',
  explain(client, differences) {
    if (client.rows.duplicate_keys === 0) return undefined;
    const sides = differences.filter((d) => d.kind === 'duplicate_key').map((d) => ((d.legacy ?? 0) > 1 ? 'legacy' : 'new'));
    const side = sides.length > 0 && sides.every((s) => s === sides[0]) ? ` in ${sides[0]}` : '';
    return `${client.rows.duplicate_keys} key(s) appear more than once${side}: a double insert (a retried load); they are reported, never summed`;
  },
};

export const droppedCampaign: DifferenceExplainer = {
  name: 'dropped-campaign',
  description: 'whole campaigns present on one side only',
  explain(client, differences) {
    const missing = differences.filter((d) => d.kind === 'missing_in_new' || d.kind === 'missing_in_legacy');
    if (missing.length === 0) return undefined;
    const campaigns = [...groupBy(missing, (d) => `${d.kind}|${d.platform}|${d.campaign_id}`).keys()];
    const shown = campaigns.slice(0, 3).map((key) => {
      const [kind, platform, campaign] = key.split('|');
      return `${platform} campaign ${campaign} (${kind === 'missing_in_new' ? 'only in legacy' : 'only in new'})`;
    });
    return `${missing.length} row(s) exist on one side only: ${shown.join(', ')}${campaigns.length > 3 ? ` and ${campaigns.length - 3} more` : ''}; check the connected accounts and campaign filters`;
  },
};

const MONEY = new Set(['spend', 'revenue']);

/**
 * An unconverted currency scales the money values of an account by the day's rate and touches nothing else. So
 * only money may differ on the account: when a count (impressions, clicks, conversions) differs there too, the
 * money follows it (revenue counted from other conversions, rows from another day), whatever its ratio, and
 * another explainer says why.
 */
export const currencyUnconverted: DifferenceExplainer = {
  name: 'currency-unconverted',
  description: 'money, and only money, differs by one constant factor on an account',
  explain(_client, differences) {
    for (const [account, rows] of groupBy(mismatches(differences), (d) => d.account_id)) {
      if (rows.some((d) => !MONEY.has(d.metric ?? ''))) continue;
      const ratios = rows.filter((d) => d.legacy! > 0).map((d) => d.new! / d.legacy!);
      if (ratios.length < 2) continue;
      const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
      const constant = ratios.every((ratio) => Math.abs(ratio - mean) / mean < 0.005);
      if (constant && Math.abs(mean - 1) > 0.01) {
        return `account ${account}: new/legacy money is a constant ×${mean.toFixed(4)} over ${ratios.length} values; one side did not convert the account's currency`;
      }
    }
    return undefined;
  },
};

export const dayShift: DifferenceExplainer = {
  name: 'day-shift',
  description: 'every metric differs on most rows of an account, with no constant ratio',
  explain(_client, differences) {
    for (const [account, rows] of groupBy(mismatches(differences), (d) => d.account_id)) {
      const metrics = new Set(rows.map((d) => d.metric));
      const campaigns = new Set(rows.map((d) => d.campaign_id));
      if (metrics.size >= 3 && campaigns.size >= 3 && rows.some((d) => d.metric === 'impressions' || d.metric === 'clicks')) {
        return `account ${account}: ${metrics.size} metrics differ on ${campaigns.size} campaigns at once; rows look shifted by a day, so check the account's time zone against the client's reporting day`;
      }
    }
    return undefined;
  },
};

export const conversionDefinition: DifferenceExplainer = {
  name: 'conversion-definition',
  description: 'only conversions and revenue differ, on one platform: the sides count different conversion actions',
  explain(_client, differences) {
    const rows = mismatches(differences);
    if (rows.length === 0 || !rows.every((d) => d.metric === 'conversions' || d.metric === 'revenue')) return undefined;
    const platforms = [...new Set(rows.map((d) => d.platform))];
    if (platforms.length !== 1 || !rows.some((d) => d.metric === 'conversions')) return undefined;
    const lower = rows.filter((d) => d.legacy! < d.new!).length > rows.length / 2 ? 'legacy' : 'new';
    return `${platforms[0]}: only conversions and revenue differ, on ${new Set(rows.map((d) => d.campaign_id)).size} campaigns, lower in ${lower}; the sides count different conversion actions, so compare each side's conversion definition for this client`;
  },
};

export const roundingDrift: DifferenceExplainer = {
  name: 'rounding-drift',
  description: 'small money differences of a few cents',
  explain(_client, differences) {
    const money = mismatches(differences).filter((d) => d.metric === 'spend' || d.metric === 'revenue');
    if (money.length === 0 || money.length !== mismatches(differences).length) return undefined;
    const largest = Math.max(...money.map((d) => Math.abs(d.new! - d.legacy!)));
    if (largest > 0.1) return undefined;
    return `${money.length} money value(s) differ by at most ${largest.toFixed(2)}: cents-level rounding drift between the pipelines`;
  },
};

/** Every explainer, most specific first. */
export const EXPLAINERS: readonly DifferenceExplainer[] = [duplicateRows, droppedCampaign, currencyUnconverted, dayShift, conversionDefinition, roundingDrift];

/** Explanations per failing client, from the differences that were fetched. */
export function explainClients(clients: readonly ClientResult[], differences: readonly Difference[]): Map<string, string[]> {
  const byClient = groupBy(differences, (d) => d.client_id);
  const explanations = new Map<string, string[]>();
  for (const client of clients.filter((c) => c.status === 'fail')) {
    const notes = EXPLAINERS.map((explainer) => explainer.explain(client, byClient.get(client.client_id) ?? [])).filter((n): n is string => Boolean(n));
    explanations.set(client.client_id, notes);
  }
  return explanations;
}
