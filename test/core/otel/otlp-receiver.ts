import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
type KeyValue = { key: string; value: AnyValue };

/** The part of OTLP's JSON encoding these tests read. */
interface OtlpBody {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ spans?: Array<{ name: string; traceId: string; spanId: string; parentSpanId?: string; attributes?: KeyValue[] }> }>;
  }>;
  resourceMetrics?: Array<{
    scopeMetrics?: Array<{ metrics?: Array<{ name: string; sum?: { dataPoints?: Array<{ attributes?: KeyValue[]; asInt?: string | number; asDouble?: number }> } }> }>;
  }>;
}

export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

export interface ReceivedPoint {
  metric: string;
  attributes: Record<string, unknown>;
  value: number;
}

export interface OtlpReceiver {
  /** Base URL, as given to `--otel`. */
  url: string;
  /** Every request, in arrival order: its path, content type and decoded JSON body. */
  requests: Array<{ path: string; contentType: string | undefined; body: OtlpBody }>;
  spans(): ReceivedSpan[];
  points(): ReceivedPoint[];
  close(): Promise<void>;
}

const flatten = (attributes: KeyValue[] = []) =>
  Object.fromEntries(attributes.map(({ key, value }) => [key, value.stringValue ?? value.boolValue ?? value.doubleValue ?? (value.intValue === undefined ? undefined : Number(value.intValue))]));

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

/** A loopback OTLP/HTTP collector that keeps what it receives; it speaks the JSON encoding only. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpReceiver['requests'] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({ path: request.url ?? '', contentType: request.headers['content-type'], body: JSON.parse(text) as OtlpBody });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await listen(server);
  const bodies = (path: string) => requests.filter((r) => r.path === path).map((r) => r.body);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans: () =>
      bodies('/v1/traces').flatMap((body) =>
        (body.resourceSpans ?? []).flatMap((rs) =>
          (rs.scopeSpans ?? []).flatMap((ss) =>
            (ss.spans ?? []).map((span) => ({
              name: span.name,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              attributes: flatten(span.attributes),
              resource: flatten(rs.resource?.attributes),
            })),
          ),
        ),
      ),
    points: () =>
      bodies('/v1/metrics').flatMap((body) =>
        (body.resourceMetrics ?? []).flatMap((rm) =>
          (rm.scopeMetrics ?? []).flatMap((sm) =>
            (sm.metrics ?? []).flatMap((metric) =>
              (metric.sum?.dataPoints ?? []).map((point) => ({ metric: metric.name, attributes: flatten(point.attributes), value: Number(point.asInt ?? point.asDouble) })),
            ),
          ),
        ),
      ),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port with nothing listening: a collector that is down. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}
