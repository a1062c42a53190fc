import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TOOL_VERSION } from '../../core/version.js';

// The same tracer as core/telemetry.ts: a no-op until an OpenTelemetry SDK is registered.
const tracer = trace.getTracer('bosco', TOOL_VERSION);
const spans = new WeakMap<FastifyRequest, Span>();

/** Adds attributes to the request's span (the client asked for, the side that served it). */
export function annotate(request: FastifyRequest, attributes: Attributes): void {
  spans.get(request)?.setAttributes(attributes);
}

/**
 * One server span per request, named by method and route template (never the raw URL, which holds client ids),
 * with the HTTP semantic-convention attributes; work a route does in spans of its own nests under it.
 */
export function installTracing(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    const span = tracer.startSpan(route ? `${request.method} ${route}` : request.method, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, ...(route ? { 'http.route': route } : {}), 'url.scheme': 'http' },
    });
    spans.set(request, span);
    context.with(trace.setSpan(context.active(), span), done);
  });
  app.addHook('onError', (request, _reply, error, done) => {
    spans.get(request)?.recordException(error);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      spans.delete(request);
    }
    done();
  });
}
