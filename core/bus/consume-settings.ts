import { BoscoError } from '../errors.js';
import type { ConsumeOptions } from './types.js';

/** Topic and subscription names: safe as file names and inside Pub/Sub resource names. */
const BUS_NAME = /^[a-z][a-z0-9._-]{0,199}$/;

export function checkBusName(what: 'topic' | 'subscription', name: string): string {
  if (!BUS_NAME.test(name)) {
    throw new BoscoError('USAGE', `'${name}' is not a valid ${what} name`, {
      hint: `${what}s start with a lower-case letter and hold lower-case letters, digits, dots, dashes and underscores (at most 200)`,
    });
  }
  return name;
}

/** ConsumeOptions with every default applied, as both adapters read them. */
export interface ConsumeSettings {
  maxAttempts: number;
  deadLetterTopic: string;
  leaseMs: number;
  concurrency: number;
  idleTimeoutMs: number | undefined;
  signal: AbortSignal | undefined;
}

function check(name: keyof ConsumeOptions, value: number, least: number): number {
  if (!Number.isInteger(value) || value < least) {
    throw new BoscoError('USAGE', `consume option ${name} is ${value}`, { hint: `${name} must be a whole number of at least ${least}` });
  }
  return value;
}

export function consumeSettings(topic: string, options: ConsumeOptions = {}): ConsumeSettings {
  const { maxAttempts = 5, leaseMs = 60_000, concurrency = 1, idleTimeoutMs } = options;
  return {
    maxAttempts: check('maxAttempts', maxAttempts, 1),
    deadLetterTopic: checkBusName('topic', options.deadLetterTopic ?? `${topic}.dead-letter`),
    leaseMs: check('leaseMs', leaseMs, 1),
    concurrency: check('concurrency', concurrency, 1),
    idleTimeoutMs: idleTimeoutMs === undefined ? undefined : check('idleTimeoutMs', idleTimeoutMs, 0),
    signal: options.signal,
  };
}
