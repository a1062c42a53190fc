/**
 * The shared bus behaviour against a real Pub/Sub emulator (`gcloud beta emulators pubsub start`), reached through
 * the config exactly as a user would: `bus.kind: pubsub` with no apiEndpoint, and PUBSUB_EMULATOR_HOST set.
 * Skipped unless PUBSUB_EMULATOR_HOST is set; the loopback contract test (pubsub-bus.contract.test.ts) always runs.
 */
import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { openBus, type EventBus } from '../../../core/bus/index.js';
import { parseConfig } from '../../../core/config.js';
import { describeBusBehaviour } from './bus-behaviour.js';

const emulator = process.env.PUBSUB_EMULATOR_HOST;

describe.skipIf(!emulator)(`against the Pub/Sub emulator at ${emulator ?? '(PUBSUB_EMULATOR_HOST not set)'}`, () => {
  describeBusBehaviour(
    'Pub/Sub (emulator)',
    async () => {
      // A prefix per test: an emulator keeps what earlier runs created.
      const config = parseConfig({ bus: { kind: 'pubsub', projectId: process.env.PUBSUB_PROJECT_ID ?? 'bosco-emulator', topicPrefix: `bosco-${randomUUID().slice(0, 8)}-` } }, 'emulator test');
      const open = () => openBus({ workspaceDir: process.cwd(), config });
      const bus = open();
      const others: EventBus[] = [];
      return {
        bus,
        another: async () => {
          others.push(open());
          return others.at(-1)!;
        },
        async close() {
          await Promise.all([bus, ...others].map((b) => b.close()));
        },
      };
    },
    { idleMs: 2_000 },
  );
});
