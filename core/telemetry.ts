import { metrics, SpanStatusCode, trace, type Attributes, type Counter, type Meter, type MeterProvider, type MetricOptions, type Span } from '@opentelemetry/api';
import { TOOL_VERSION } from './version.js';

// Without a registered OpenTelemetry SDK these are no-ops, so instrumentation costs nothing by default.
const tracer = trace.getTracer('bosco', TOOL_VERSION);

/**
 * Counters are made when their module loads, which may be before the CLI registers the SDK, and the API has no
 * proxy for meters as it has for tracers: so each counter asks for the current meter provider when it counts.
 */
export const meter: Pick<Meter, 'createCounter'> = {
  createCounter<A extends Attributes = Attributes>(name: string, options?: MetricOptions): Counter<A> {
    let made: { provider: MeterProvider; counter: Counter<A> } | undefined;
    return {
      add(value, attributes, context) {
        const provider = metrics.getMeterProvider();
        if (made?.provider !== provider) made = { provider, counter: provider.getMeter('bosco', TOOL_VERSION).createCounter<A>(name, options) };
        made.counter.add(value, attributes, context);
      },
    };
  },
};

/** Runs `work` inside an active span; records a thrown error on the span and rethrows it. */
export async function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      const result = await work(span);
      span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

export interface TelemetryOptions {
  /**
   * The collector's base URL; `/v1/traces` and `/v1/metrics` are appended. Default: the standard
   * OTEL_EXPORTER_OTLP_ENDPOINT (or the per-signal variables), else http://127.0.0.1:4318.
   */
  endpoint?: string;
  /** `service.name` of the exported resource; OTEL_SERVICE_NAME overrides it. */
  serviceName: string;
}

const lists = (value: string | undefined, name: string) => (value ?? '').split(',').some((item) => item.trim().toLowerCase() === name);

/**
 * Whether to export: `--otel` was given (`flag`), or the standard variables name an OTLP endpoint or exporter.
 * OTEL_SDK_DISABLED=true turns export off whatever else asks for it.
 */
export function telemetryWanted(flag: string | boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  if (flag) return true;
  return (
    [env.OTEL_EXPORTER_OTLP_ENDPOINT, env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT].some((value) => value?.trim()) ||
    lists(env.OTEL_TRACES_EXPORTER, 'otlp') ||
    lists(env.OTEL_METRICS_EXPORTER, 'otlp')
  );
}

let stop: (() => Promise<void>) | undefined;

/** Registers the OpenTelemetry SDK as the global providers. It is imported only here, so a run without it never loads it. */
export async function startTelemetry(options: TelemetryOptions): Promise<void> {
  stop = (await import('./otel/sdk.js')).startSdk(options);
}

/** Flushes what was recorded and stops the SDK, in bounded time; does nothing when it was not started. */
export async function shutdownTelemetry(): Promise<void> {
  const current = stop;
  stop = undefined;
  await current?.();
}
