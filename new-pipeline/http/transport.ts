import http from 'node:http';
import https from 'node:https';
import pLimit, { type LimitFunction } from 'p-limit';

/** A request `HttpTransport` sends: everything but the URL is already encoded. */
export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpAnswer {
  status: number;
  /** Lower-cased header names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  text: string;
}

/** Thrown when no whole answer came within the timeout; `name` is `TimeoutError`, as for `AbortSignal.timeout`. */
export class RequestTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

function headersOf(response: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(response.headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * The HTTP client of one fetch run: keep-alive connection pools shared by every platform, and at most `sockets`
 * requests on the wire at once, so a run over thousands of accounts never opens thousands of connections.
 * Built on node:http rather than `fetch`, whose per-request overhead caps a loopback run near half the rate.
 */
export class HttpTransport {
  private readonly limit: LimitFunction;
  private readonly agents: { 'http:': http.Agent; 'https:': https.Agent };

  constructor(sockets: number) {
    this.limit = pLimit(sockets);
    const pool = { keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets };
    this.agents = { 'http:': new http.Agent(pool), 'https:': new https.Agent(pool) };
  }

  /** Sends one request and reads the whole answer; rejects with `RequestTimeoutError` after `timeoutMs`. */
  send(url: URL, request: HttpRequest, timeoutMs: number): Promise<HttpAnswer> {
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
    return this.limit(
      () =>
        new Promise<HttpAnswer>((resolve, reject) => {
          const headers = request.body === undefined ? request.headers : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) };
          const options = { method: request.method, headers, agent: this.agents[secure ? 'https:' : 'http:'] };
          const outgoing = (secure ? https : http).request(url, options, (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', fail);
            response.on('end', () => {
              clearTimeout(timer);
              resolve({ status: response.statusCode ?? 0, headers: headersOf(response), text: Buffer.concat(chunks).toString('utf8') });
            });
            // A connection closed mid-body ends the stream without 'end': the answer is not whole.
            response.on('close', () => {
              if (!response.complete) fail(new Error('connection closed before the answer was complete'));
            });
          });
          const timer = setTimeout(() => {
            const error = new RequestTimeoutError(timeoutMs);
            fail(error);
            outgoing.destroy(error);
          }, timeoutMs);
          function fail(error: Error) {
            clearTimeout(timer);
            reject(error);
          }
          outgoing.on('error', fail);
          outgoing.end(request.body);
        }),
    );
  }

  /** Closes every pooled connection; the transport is not used after. */
  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }
}
