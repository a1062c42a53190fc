import type { ConsumeOptions, ConsumeSummary, EventBus } from '../bus/types.js';
import type { AlertSink } from './webhook-sink.js';

export { ALERT_HEADERS, alertKindOf, createAlertSink, type AlertDelivery, type AlertPayload, type AlertSink, type AlertSinkOptions } from './webhook-sink.js';

export interface ConsumeAlertsOptions extends ConsumeOptions {
  /** The topics whose events may raise alerts (e.g. the shadow runs' and the pipeline's partitions). */
  topics: readonly string[];
  /** The subscription the alerts consume each topic as. Default `alerts`. */
  subscription?: string;
}

/**
 * Feeds the sink from the bus: consumes each topic as one subscription and notifies the sink of every event; events
 * that raise no alert are simply acknowledged. A webhook that still fails after its own retries makes the event
 * redelivered (the webhooks that accepted it are not sent it again by this sink), and dead-lettered after
 * `maxAttempts`. Resolves with the summed summaries once every consume ends (idle timeout or signal).
 */
export async function consumeAlerts(bus: EventBus, sink: AlertSink, options: ConsumeAlertsOptions): Promise<ConsumeSummary> {
  const { topics, subscription = 'alerts', ...consume } = options;
  const summaries = await Promise.all(
    topics.map((topic) =>
      bus.consume(topic, subscription, async ({ event }) => {
        await sink.notify(event);
      }, consume),
    ),
  );
  return summaries.reduce((total, s) => ({ acked: total.acked + s.acked, retried: total.retried + s.retried, deadLettered: total.deadLettered + s.deadLettered }), { acked: 0, retried: 0, deadLettered: 0 });
}
