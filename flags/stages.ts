import { BoscoError } from '../core/errors.js';
import { STAGES, type Stage } from './types.js';

/** A client with no recorded stage has not started migrating. */
export const DEFAULT_STAGE: Stage = 'legacy';

export function parseStage(value: string): Stage {
  if (!(STAGES as readonly string[]).includes(value)) {
    throw new BoscoError('USAGE', `unknown stage '${value}'`, { hint: `stages are ${STAGES.join(' → ')}` });
  }
  return value as Stage;
}

/** The stage after `stage`; undefined for `complete`. */
export function nextStage(stage: Stage): Stage | undefined {
  return STAGES[STAGES.indexOf(stage) + 1];
}

/** Where a rollback from `stage` goes: live → shadow, shadow → legacy; undefined where none is possible (legacy, and complete, whose legacy side is retired). */
export function rollbackStage(stage: Stage): Stage | undefined {
  if (stage === 'live') return 'shadow';
  if (stage === 'shadow') return 'legacy';
  return undefined;
}

/** Which side serves the client's numbers: legacy until the new pipeline is live. */
export function servingSide(stage: Stage): 'legacy' | 'new' {
  return stage === 'live' || stage === 'complete' ? 'new' : 'legacy';
}

/** Whether the dual run covers the client: shadow runs forward, live runs the legacy side as a reverse shadow. */
export function isDualRun(stage: Stage): boolean {
  return stage === 'shadow' || stage === 'live';
}
