import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';

type OnSocket = (error: Error | null, socket: Duplex) => void;

function refuse(callback: OnSocket | undefined): undefined {
  const error = Object.assign(new Error('the Unleash stage store is closed'), { code: 'ERR_STAGE_STORE_CLOSED' });
  process.nextTick(() => callback?.(error, undefined as unknown as Duplex));
  return undefined;
}

class ClosableHttpAgent extends http.Agent {
  constructor(private readonly isClosed: () => boolean) {
    super({ keepAlive: true });
  }

  override createConnection(options: http.ClientRequestArgs, callback?: OnSocket): Duplex | null | undefined {
    return this.isClosed() ? refuse(callback) : super.createConnection(options, callback);
  }
}

class ClosableHttpsAgent extends https.Agent {
  constructor(private readonly isClosed: () => boolean) {
    super({ keepAlive: true });
  }

  override createConnection(options: https.RequestOptions, callback?: OnSocket): Duplex | null | undefined {
    return this.isClosed() ? refuse(callback) : super.createConnection(options, callback);
  }
}

/**
 * The sockets of one store's SDK. `destroy()` on the SDK clears its polling timer but cannot cancel a request in
 * flight, nor the retries its HTTP layer schedules (make-fetch-happen: two more attempts, 1 s and 2 s later), which
 * against a hung server would each wait out their 10 s timeout. Closing these agents ends every socket at once and
 * fails each later attempt before it connects, so what the SDK started ends within those 3 s of backoff.
 * (Unlike the SDK's default agent, these ignore HTTP(S)_PROXY; the admin API's fetch does too.)
 */
export class SdkAgents {
  private closed = false;
  private readonly http = new ClosableHttpAgent(() => this.closed);
  private readonly https = new ClosableHttpsAgent(() => this.closed);

  readonly agentFor = (url: URL): http.Agent => (url.protocol === 'https:' ? this.https : this.http);

  close(): void {
    this.closed = true;
    this.http.destroy();
    this.https.destroy();
  }
}
