import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpTransport } from '../../../new-pipeline/http/transport.js';

/** A loopback server answering with `handler`; closed after each test. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('HTTP transport', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

  async function setUp(handler: (req: IncomingMessage, res: ServerResponse) => void, sockets = 4) {
    const { server, url } = await serve(handler);
    const transport = new HttpTransport(sockets);
    cleanups.push(() => {
      transport.close();
      server.closeAllConnections();
      server.close();
    });
    return { transport, url };
  }

  it('sends the method, headers and body and reads the whole answer', async () => {
    const { transport, url } = await setUp((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => res.writeHead(201, { 'x-echo': req.headers.authorization ?? '' }).end(JSON.stringify({ method: req.method, body })));
    });
    const answer = await transport.send(new URL(`${url}/x`), { method: 'POST', headers: { authorization: 'Bearer t' }, body: '{"a":1}' }, 5_000);
    expect(answer.status).toBe(201);
    expect(answer.headers['x-echo']).toBe('Bearer t');
    expect(JSON.parse(answer.text)).toEqual({ method: 'POST', body: '{"a":1}' });
  });

  it('gives up on an answer that does not come within the timeout, as a TimeoutError', async () => {
    const { transport, url } = await setUp(() => {
      // Never answers.
    });
    await expect(transport.send(new URL(url), { method: 'GET', headers: {} }, 100)).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('refuses an answer whose connection closed before the body was whole', async () => {
    const { transport, url } = await setUp((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"data": [');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    await expect(transport.send(new URL(url), { method: 'GET', headers: {} }, 5_000)).rejects.toThrow();
  });

  it('has at most `sockets` requests on the wire at once', async () => {
    let open = 0;
    let most = 0;
    const { transport, url } = await setUp((_req, res) => {
      most = Math.max(most, ++open);
      setTimeout(() => {
        open -= 1;
        res.end('{}');
      }, 20);
    }, 2);
    await Promise.all(Array.from({ length: 8 }, () => transport.send(new URL(url), { method: 'GET', headers: {} }, 5_000)));
    expect(most).toBe(2);
  });
});
