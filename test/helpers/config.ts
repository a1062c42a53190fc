import type { BoscoError } from '../../core/errors.js';
import { parseConfig } from '../../core/config.js';

/** The error a config is rejected with; fails the test when the config is accepted. */
export function configError(raw: unknown): BoscoError {
  try {
    parseConfig(raw, 'bosco.config.json');
  } catch (error) {
    return error as BoscoError;
  }
  throw new Error('expected the config to be rejected');
}
