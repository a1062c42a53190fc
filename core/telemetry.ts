import { metrics, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { TOOL_VERSION } from './version.js';

// Without a registered OpenTelemetry SDK these are no-ops, so instrumentation costs nothing by default.
const tracer = trace.getTracer('bosco', TOOL_VERSION);
export const meter = metrics.getMeter('bosco', TOOL_VERSION);

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
