import { context, diag, DiagLogLevel, metrics, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { getLogger } from '../logger.js';
import type { TelemetryOptions } from '../telemetry.js';
import { TOOL_VERSION } from '../version.js';
import { AsyncContextManager } from './async-context.js';

/** Where a local OpenTelemetry Collector listens for OTLP over HTTP. */
export const DEFAULT_OTLP_ENDPOINT = 'http://127.0.0.1:4318';

/**
 * The longest one export may take, retries included. The exporter retries a refused connection until then, so it
 * bounds how much a dead or stalled collector delays the end of a command.
 */
const EXPORT_TIMEOUT_MS = 3_000;

function exportUrl(endpoint: string | undefined, signal: 'traces' | 'metrics'): string | undefined {
  if (endpoint) return `${endpoint.replace(/\/+$/, '')}/v1/${signal}`;
  // Left undefined, the exporter reads the standard variables itself; only its fallback (localhost) is replaced.
  const env = process.env;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`]?.trim()) return undefined;
  return `${DEFAULT_OTLP_ENDPOINT}/v1/${signal}`;
}

/** The SDK reports an error as its JSON, stack included; its message is what a log reader needs. */
function readable(message: string): string {
  if (!message.startsWith('{')) return message;
  try {
    return (JSON.parse(message) as { message?: string }).message ?? message;
  } catch {
    return message;
  }
}

const turnedOff = (value: string | undefined) => value?.trim().toLowerCase() === 'none';

/**
 * Registers a tracer provider (batched OTLP/HTTP export of spans) and a meter provider (OTLP/HTTP export of
 * counters, and once more at shutdown) as the global ones. OTEL_TRACES_EXPORTER or OTEL_METRICS_EXPORTER `none`
 * leaves that signal out. Returns the shutdown, which flushes both, taking about one export's time at most.
 */
export function startSdk(options: TelemetryOptions): () => Promise<void> {
  const log = getLogger().child({ component: 'otel' });
  // A collector that is down or refuses shows up in the log instead of vanishing.
  const warn = (message: string, ...args: unknown[]) => log.warn({ detail: args.map(String) }, `telemetry: ${readable(message)}`);
  diag.setLogger({ error: warn, warn, info: warn, debug: warn, verbose: warn }, DiagLogLevel.WARN);

  const resource = resourceFromAttributes({ 'service.name': options.serviceName, 'service.version': TOOL_VERSION }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const shutdowns: Array<() => Promise<void>> = [];

  if (!turnedOff(process.env.OTEL_TRACES_EXPORTER)) {
    const exporter = new OTLPTraceExporter({ url: exportUrl(options.endpoint, 'traces'), timeoutMillis: EXPORT_TIMEOUT_MS });
    const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter, { exportTimeoutMillis: EXPORT_TIMEOUT_MS })] });
    context.setGlobalContextManager(new AsyncContextManager().enable());
    trace.setGlobalTracerProvider(tracerProvider);
    shutdowns.push(() => tracerProvider.shutdown());
  }
  if (!turnedOff(process.env.OTEL_METRICS_EXPORTER)) {
    const exporter = new OTLPMetricExporter({ url: exportUrl(options.endpoint, 'metrics'), timeoutMillis: EXPORT_TIMEOUT_MS });
    const meterProvider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter, exportTimeoutMillis: EXPORT_TIMEOUT_MS })] });
    metrics.setGlobalMeterProvider(meterProvider);
    shutdowns.push(() => meterProvider.shutdown());
  }

  return async () => {
    let timer: NodeJS.Timeout | undefined;
    // The exporters give up by themselves; this is the backstop should anything else wait on the network.
    const backstop = new Promise<void>((resolve) => (timer = setTimeout(resolve, EXPORT_TIMEOUT_MS + 1_000)));
    const settled = await Promise.race([Promise.allSettled(shutdowns.map((shutdown) => shutdown())), backstop]);
    clearTimeout(timer);
    for (const result of settled ?? []) if (result.status === 'rejected') warn('the last export failed', result.reason);
  };
}
