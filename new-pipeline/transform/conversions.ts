import type { BoscoConfig, ClientConfig } from '../../core/config.js';
import { BoscoError } from '../../core/errors.js';
import type { Platform } from '../../core/metric-row.js';
import { platformDefinition } from '../connectors/index.js';

/** What counts as a conversion for `client` on `platform`: its own list, else the platform's default. */
export function conversionsFor(client: Pick<ClientConfig, 'conversions'>, platform: Platform): readonly string[] {
  return client.conversions?.[platform] ?? platformDefinition(platform).conversions.default;
}

/**
 * Refuses a client conversion its platform's connector does not fetch (Google Ads has only `conversions`), naming
 * the config field, as a config error would. Action-type platforms (Meta) take any name their API reports.
 */
export function checkConversions(config: Pick<BoscoConfig, 'clients'>, file: string): void {
  config.clients.forEach((client, index) => {
    for (const [platform, names = []] of Object.entries(client.conversions ?? {}) as Array<[Platform, string[] | undefined]>) {
      const { choices } = platformDefinition(platform).conversions;
      const unknown = choices && names.find((name) => !choices.includes(name));
      if (unknown === undefined) continue;
      const path = `clients.${index}.conversions.${platform}`;
      throw new BoscoError('CONFIG_INVALID', `${file}: ${path}: '${unknown}' is not a ${platform} conversion; use ${choices!.join(' or ')}`, {
        hint: `fix ${path} in ${file}; see the README's configuration section`,
      });
    }
  });
}
