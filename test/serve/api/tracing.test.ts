import { context, SpanKind, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncContextManager } from '../../../core/otel/async-context.js';
import { legacyRow, startApi, writeLegacyRows, type ApiFixture } from '../helpers/api-fixture.js';

describe('HTTP spans', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let api: ApiFixture;
  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    api = await startApi({ seed: (warehouse) => writeLegacyRows(warehouse, [legacyRow({ client_id: 'acme' })]) });
  });
  afterAll(async () => {
    await api?.close();
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  it('records one server span per request with the route template, the status and the client asked for', async () => {
    exporter.reset();
    await api.get('/v1/clients/acme/metrics?from=2026-03-01&to=2026-03-30', { key: api.keys.acme });
    await api.get('/v1/clients/bravo/metrics?from=2026-03-01&to=2026-03-30', { key: api.keys.acme });
    const spans = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
    expect(spans.map((span) => span.name)).toEqual(['GET /v1/clients/:id/metrics', 'GET /v1/clients/:id/metrics']);
    expect(spans[0]!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/v1/clients/:id/metrics',
      'http.response.status_code': 200,
      'bosco.client_id': 'acme',
      'bosco.caller.kind': 'client',
      'bosco.key_id': 'acme-key',
      'bosco.served_by': 'legacy',
      'bosco.stage': 'legacy',
    });
    expect(spans[1]!.attributes).toMatchObject({ 'http.response.status_code': 403, 'bosco.client_id': 'bravo' });
    expect(spans[1]!.attributes['bosco.served_by']).toBeUndefined();
  });

  it("nests the warehouse query's span under the request's span", async () => {
    exporter.reset();
    await api.get('/v1/clients/acme/metrics?from=2026-03-01&to=2026-03-30', { key: api.keys.acme });
    const finished = exporter.getFinishedSpans();
    const server = finished.find((span) => span.kind === SpanKind.SERVER)!;
    const query = finished.find((span) => span.name === 'bosco.serve.metrics_query')!;
    expect(query.attributes).toMatchObject({ 'bosco.served_by': 'legacy', 'bosco.granularity': 'day' });
    expect(query.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(query.spanContext().traceId).toBe(server.spanContext().traceId);
  });
});
