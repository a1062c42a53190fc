import { consumeAlerts, createAlertSink } from '../../core/alerts/index.js';
import { openBus } from '../../core/bus/index.js';
import { loadConfig } from '../../core/config.js';
import { BoscoError } from '../../core/errors.js';
import { PARTITION_TOPIC } from '../../new-pipeline/load/load-partition.js';
import { SHADOW_TOPIC } from '../../shadow/run-client-day.js';

/**
 * `bosco alerts watch`: posts the configured webhooks about missed SLAs, failed quality checks, failing reconciles
 * and automatic rollbacks as they happen, until interrupted (or, with `idleExit`, idle that many seconds).
 */
export async function alertsWatchCommand(options: { config?: string; idleExit?: number; write?: (text: string) => void }): Promise<number> {
  const loaded = await loadConfig({ explicitPath: options.config });
  if (loaded.config.alerts.webhooks.length === 0) {
    throw new BoscoError('USAGE', 'no alert webhooks are configured', { hint: 'add "alerts": { "webhooks": [{ "url": "https://…", "events": ["sla.missed"] }] } to the config' });
  }
  const sink = createAlertSink(loaded.config.alerts);
  const bus = openBus(loaded);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const summary = await consumeAlerts(bus, sink, { topics: [SHADOW_TOPIC, PARTITION_TOPIC], signal: stop.signal, idleTimeoutMs: options.idleExit === undefined ? undefined : options.idleExit * 1000 });
    (options.write ?? ((text: string) => process.stdout.write(text)))(`Alerts: ${summary.acked} event(s) handled, ${summary.retried} retried, ${summary.deadLettered} dead-lettered\n`);
    return summary.deadLettered > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await bus.close();
  }
}
