/**
 * CONTRACT test of the Pub/Sub event bus. No Pub/Sub emulator can be installed here, so the adapter's real
 * `@google-cloud/pubsub` client is pointed (`apiEndpoint`, which puts it in emulator mode: plain-text gRPC, no
 * credentials) at a loopback server on 127.0.0.1 that implements the Publisher and Subscriber services from the
 * protos shipped inside the client package (fake-pubsub.ts); a connection to anywhere but 127.0.0.1 is refused and
 * fails the test. It checks the requests the adapter sends (topic and subscription creation with the prefix,
 * message ordering, ack deadline and dead-letter policy; Publish with the event as JSON, its ordering key and
 * attributes; StreamingPull with flow control; Acknowledge; a nack as ModifyAckDeadline 0; the dead-letter
 * publish), how it reads deliveries (deliveryAttempt, a payload that is not an event), how it maps errors, and runs
 * the shared port behaviour through the server. It proves the wire contract against the documented service
 * semantics, not Pub/Sub's own delivery timing, quotas or IAM: pubsub-emulator.test.ts runs the same behaviour
 * against a real emulator whenever PUBSUB_EMULATOR_HOST is set.
 */
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PubSubBus, PUBSUB_ATTRIBUTES } from '../../../core/bus/pubsub/pubsub-bus.js';
import { guardLoopback } from '../warehouse/loopback-guard.js';
import { describeBusBehaviour } from './bus-behaviour.js';
import { startFakePubSub, type FakePubSub } from './fake-pubsub.js';

const PROJECT = 'bosco-contract';
const PREFIX = 'bosco-test-';

const guard = guardLoopback();
afterAll(() => guard.restore());

const openOn = (fake: FakePubSub) => PubSubBus.fromConfig({ kind: 'pubsub', projectId: PROJECT, topicPrefix: PREFIX, apiEndpoint: fake.endpoint }, process.cwd(), {});

describeBusBehaviour(
  'Pub/Sub (loopback contract)',
  async () => {
    const fake = await startFakePubSub();
    const bus = openOn(fake);
    const others: PubSubBus[] = [];
    return {
      bus,
      another: async () => {
        others.push(openOn(fake));
        return others.at(-1)!;
      },
      async close() {
        await Promise.all([bus, ...others].map((b) => b.close()));
        await fake.close();
        expect(fake.unexpected).toEqual([]);
        expect(guard.refused).toEqual([]);
      },
    };
  },
  { idleMs: 800 },
);

describe('the Pub/Sub bus (gRPC request contract)', () => {
  let fake: FakePubSub;
  let bus: PubSubBus;
  const topicName = (topic: string) => `projects/${PROJECT}/topics/${PREFIX}${topic}`;
  const subscriptionName = (topic: string, subscription: string) => `projects/${PROJECT}/subscriptions/${PREFIX}${topic}~${subscription}`;
  const requests = (method: string) => fake.calls.filter((call) => call.method === method).map((call) => call.request);

  beforeEach(async () => {
    fake = await startFakePubSub();
    bus = openOn(fake);
  });
  afterEach(async () => {
    await bus.close();
    await fake.close();
    expect(fake.unexpected).toEqual([]);
    expect(guard.refused).toEqual([]);
  });

  it('creates a missing topic under the prefix, once, and publishes the event as JSON with its ordering key and attributes', async () => {
    const event = await bus.publish('shadow.jobs', 'job.requested', { client_id: 'kestrel-home', date: '2026-11-22' }, { orderingKey: 'kestrel-home' });
    await bus.publish('shadow.jobs', 'job.requested', { client_id: 'acme-retail' });

    expect(requests('CreateTopic')).toEqual([expect.objectContaining({ name: topicName('shadow.jobs') })]);
    const [first, second] = requests('Publish');
    expect(first!.topic).toBe(topicName('shadow.jobs'));
    const [message] = first!.messages;
    expect(JSON.parse(Buffer.from(message.data).toString('utf8'))).toEqual(event);
    expect(message.attributes).toEqual({ [PUBSUB_ATTRIBUTES.id]: event.id, [PUBSUB_ATTRIBUTES.type]: 'job.requested' });
    expect(message.orderingKey).toBe('kestrel-home');
    expect(second!.messages[0].orderingKey).toBe('');
  });

  it('uses a topic that already exists (ALREADY_EXISTS is not an error)', async () => {
    await new PubSub({ projectId: PROJECT, apiEndpoint: fake.endpoint, emulatorMode: true, universeDomain: 'googleapis.com' }).createTopic(`${PREFIX}existing`);
    await bus.publish('existing', 'e', {});
    expect(requests('Publish')).toHaveLength(1);
  });

  it('creates a subscription with message ordering, the lease as ack deadline and a dead-letter policy, and one on the dead-letter topic', async () => {
    await bus.ensureSubscription('shadow.jobs', 'workers', { maxAttempts: 7, leaseMs: 30_000 });
    expect(requests('CreateTopic').map((r) => r.name).sort()).toEqual([topicName('shadow.jobs'), topicName('shadow.jobs.dead-letter')]);
    const created = requests('CreateSubscription');
    expect(created).toHaveLength(2);
    expect(created.find((r) => r.name === subscriptionName('shadow.jobs', 'workers'))).toMatchObject({
      topic: topicName('shadow.jobs'),
      ackDeadlineSeconds: 30,
      enableMessageOrdering: true,
      deadLetterPolicy: { deadLetterTopic: topicName('shadow.jobs.dead-letter'), maxDeliveryAttempts: 7 },
    });
    // Pub/Sub keeps a message only for subscriptions that exist when it arrives: dead letters need one.
    expect(created.find((r) => r.name === subscriptionName('shadow.jobs.dead-letter', 'workers'))).toMatchObject({
      topic: topicName('shadow.jobs.dead-letter'),
      deadLetterPolicy: null,
    });
  });

  it("holds the subscription's settings to Pub/Sub's bounds, and dead-letters below 5 attempts itself", async () => {
    await bus.ensureSubscription('jobs', 'workers', { maxAttempts: 2, leaseMs: 1_000, deadLetterTopic: 'jobs.poison' });
    expect(requests('CreateSubscription').find((r) => r.name === subscriptionName('jobs', 'workers'))).toMatchObject({
      ackDeadlineSeconds: 10,
      deadLetterPolicy: { deadLetterTopic: topicName('jobs.poison'), maxDeliveryAttempts: 5 },
    });
    const poison = await bus.publish('jobs', 'job', { n: 1 }, { orderingKey: 'acme' });
    const summary = await bus.consume('jobs', 'workers', async () => {
      throw new Error('bad payload');
    }, { maxAttempts: 2, deadLetterTopic: 'jobs.poison', idleTimeoutMs: 500 });
    expect(summary).toEqual({ acked: 0, retried: 1, deadLettered: 1 });

    const deadLetter = requests('Publish').find((r) => r.topic === topicName('jobs.poison'))!.messages[0];
    const original = requests('Publish').find((r) => r.topic === topicName('jobs'))!.messages[0];
    expect(Buffer.from(deadLetter.data)).toEqual(Buffer.from(original.data));
    expect(deadLetter.orderingKey).toBe('acme');
    expect(deadLetter.attributes).toEqual({
      [PUBSUB_ATTRIBUTES.id]: poison.id,
      [PUBSUB_ATTRIBUTES.type]: 'job',
      [PUBSUB_ATTRIBUTES.deadLetterSubscription]: 'workers',
      [PUBSUB_ATTRIBUTES.deadLetterAttempts]: '2',
      [PUBSUB_ATTRIBUTES.deadLetterError]: 'bad payload',
    });
    expect(fake.backlog(subscriptionName('jobs', 'workers'))).toBe(0);
  });

  it('pulls over one StreamingPull with flow control, acks with Acknowledge and nacks with ModifyAckDeadline 0', async () => {
    await bus.ensureSubscription('jobs', 'workers');
    const [flaky] = [await bus.publish('jobs', 'job', { n: 1 }), await bus.publish('jobs', 'job', { n: 2 })];
    const attempts: Array<[number, number]> = [];
    await bus.consume<{ n: number }>('jobs', 'workers', async ({ event, attempt }) => {
      attempts.push([event.data.n, attempt]);
      if (event.id === flaky!.id && attempt === 1) throw new Error('once');
    }, { concurrency: 2, idleTimeoutMs: 500 });

    expect(attempts.sort()).toEqual([[1, 1], [1, 2], [2, 1]]);
    const openings = requests('StreamingPull').filter((r) => r.subscription);
    expect(openings).toEqual([expect.objectContaining({ subscription: subscriptionName('jobs', 'workers'), maxOutstandingMessages: 2 })]);
    expect(requests('ModifyAckDeadline').filter((r) => r.ackDeadlineSeconds === 0).flatMap((r) => r.ackIds)).toHaveLength(1);
    expect(requests('Acknowledge').flatMap((r) => r.ackIds)).toHaveLength(2);
    expect(fake.backlog(subscriptionName('jobs', 'workers'))).toBe(0);
  });

  it('reads a dead letter that Pub/Sub forwarded itself (its consumers kept dying) as the original event', async () => {
    await bus.ensureSubscription('jobs', 'workers', { maxAttempts: 5 });
    const poison = await bus.publish('jobs', 'job', { n: 1 });
    // A consumer that never acks: each delivery ends by nack, as when a process dies holding the message.
    const raw = new PubSub({ projectId: PROJECT, apiEndpoint: fake.endpoint, emulatorMode: true, universeDomain: 'googleapis.com' });
    const stream = raw.subscription(`${PREFIX}jobs~workers`, { batching: { maxMilliseconds: 10 } });
    let deliveries = 0;
    stream.on('message', (message) => {
      deliveries++;
      message.nack();
    });
    const deadline = Date.now() + 10_000;
    while (fake.backlog(subscriptionName('jobs', 'workers')) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await stream.close();
    await raw.close();
    expect(deliveries).toBe(5);

    const dead: unknown[] = [];
    await bus.consume('jobs.dead-letter', 'workers', async ({ event }) => void dead.push(event), { idleTimeoutMs: 500 });
    expect(dead).toEqual([poison]);
  });

  it('dead-letters a message that holds no Bosco event without calling the handler', async () => {
    await bus.ensureSubscription('jobs', 'workers', { maxAttempts: 1 });
    const raw = new PubSub({ projectId: PROJECT, apiEndpoint: fake.endpoint, emulatorMode: true, universeDomain: 'googleapis.com' });
    await raw.topic(`${PREFIX}jobs`).publishMessage({ data: Buffer.from('not json') });
    await raw.close();
    let called = false;
    const summary = await bus.consume('jobs', 'workers', async () => void (called = true), { maxAttempts: 1, idleTimeoutMs: 500 });
    expect(called).toBe(false);
    expect(summary.deadLettered).toBe(1);
    const deadLetter = requests('Publish').find((r) => r.topic === topicName('jobs.dead-letter'))!.messages[0];
    expect(deadLetter.attributes[PUBSUB_ATTRIBUTES.deadLetterError]).toMatch(/does not hold a Bosco event/);
  });

  it('reports a refused publish as a BoscoError naming the topic, with a hint about permissions', async () => {
    fake.deny.add('Publish');
    await expect(bus.publish('jobs', 'job', {}, { orderingKey: 'acme' })).rejects.toMatchObject({
      code: 'BUS_FAILED',
      message: expect.stringContaining(topicName('jobs')),
      hint: expect.stringMatching(/Pub\/Sub Editor|Publisher/),
    });
    // The ordering key is not left paused: the next publish for it goes out.
    fake.deny.delete('Publish');
    await bus.publish('jobs', 'job', {}, { orderingKey: 'acme' });
  });

  it('creates nothing when it may not, and uses the resources as provisioned', async () => {
    await new PubSub({ projectId: PROJECT, apiEndpoint: fake.endpoint, emulatorMode: true, universeDomain: 'googleapis.com' }).createTopic(`${PREFIX}jobs`);
    fake.deny.add('CreateTopic');
    await bus.publish('jobs', 'job', {});
    expect(requests('Publish')).toHaveLength(1);
  });
});
