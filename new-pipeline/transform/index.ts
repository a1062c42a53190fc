import { BoscoError } from '../../core/errors.js';
import { PLATFORMS } from '../../core/metric-row.js';
import { PLATFORM_DEFINITIONS } from '../connectors/index.js';
import type { PlatformTransform } from './types.js';

/** Every platform's transform, each kept in its platform's folder beside its connector (see `connectors/index.ts`). */
export const TRANSFORMS: readonly PlatformTransform[] = PLATFORM_DEFINITIONS.map((definition) => definition.transform);

export function transformFor(platform: string): PlatformTransform {
  const transform = TRANSFORMS.find((candidate) => candidate.platform === platform);
  if (!transform) {
    throw new BoscoError('USAGE', `no transform for platform '${platform}'`, { hint: `platforms are ${PLATFORMS.join(', ')}` });
  }
  return transform;
}
