import { expect } from 'vitest';
import { BoscoError } from '../../../core/errors.js';
import type { AccountFacts, ApiRequest, ApiResponse, Connector, FetchContext } from '../../../new-pipeline/connectors/types.js';
import type { SimEnv, SimFaults, SimRequest, SimResponse, SimulatedPlatform } from '../../../new-pipeline/simulator/types.js';
import { SimWorld } from '../../../new-pipeline/simulator/world.js';

/**
 * A connector talking to a simulated platform's route in-process: what the HTTP server and client would do to a
 * request and its answer (JSON text over the wire, header names lower-cased), without a socket.
 */

export const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

export function envFactory(options: { faults?: SimFaults; pullsBefore?: number } = {}): SimEnv {
  return { world: new SimWorld(), faults: options.faults ?? {}, pullsBefore: () => options.pullsBefore ?? 0 };
}

/** The connector's request as the simulator's HTTP server hands it to the route; `pathname` when the account's base URL adds to the path. */
export function toSimRequest(request: ApiRequest, headers: Record<string, string>, pathname = request.path): SimRequest {
  const lower = Object.fromEntries(Object.entries({ ...request.headers, ...headers }).map(([key, value]) => [key.toLowerCase(), value]));
  const body = request.body === undefined ? undefined : (JSON.parse(JSON.stringify(request.body)) as unknown);
  return { method: request.method, pathname, query: new URLSearchParams(request.query), headers: lower, body };
}

/** The route's answer as the connector sees it after the wire: JSON text parsed back, headers lower-cased. */
export function toApiResponse(answer: SimResponse): ApiResponse {
  const headers = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([key, value]) => [key.toLowerCase(), value]));
  return { status: answer.status, headers, body: JSON.parse(JSON.stringify(answer.body)) };
}

/** One request through `route`, carrying `credential` in the connector's own auth headers. */
export function sendTo<R>(route: SimulatedPlatform, connector: Connector<R>, request: ApiRequest, env: SimEnv, credential: string, pathname?: string): ApiResponse {
  return toApiResponse(route.handle(toSimRequest(request, connector.authHeaders(credential), pathname), env));
}

/** Runs firstRequest → send → classify → parse until the connector asks for nothing more. */
export function runPartition<R>(connector: Connector<R>, send: (request: ApiRequest) => ApiResponse, context: FetchContext) {
  const records: R[] = [];
  const requests: ApiRequest[] = [];
  const bodies: unknown[] = [];
  const unknownFields = new Set<string>();
  let account: AccountFacts = {};
  let request: ApiRequest | undefined = connector.firstRequest(context);
  while (request) {
    requests.push(request);
    const response = send(request);
    expect(connector.classify(response)).toEqual({ kind: 'ok' });
    bodies.push(response.body);
    const page = connector.parse(response.body, context, request);
    records.push(...page.records);
    page.unknownFields.forEach((field) => unknownFields.add(field));
    account = { ...account, ...page.account };
    request = page.next;
  }
  return { records, requests, bodies, account, unknownFields: [...unknownFields] };
}

export function expectPayloadInvalid(run: () => unknown, path: string) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BoscoError);
    expect((error as BoscoError).code).toBe('PAYLOAD_INVALID');
    expect((error as BoscoError).message).toContain(path);
    return;
  }
  throw new Error(`expected PAYLOAD_INVALID naming ${path}`);
}
