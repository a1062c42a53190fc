import { createHmac } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { BusEvent } from '../bus/types.js';
import { ALERT_KINDS, type AlertKind, type AlertSettings, type AlertWebhookSettings } from '../config.js';
import { BoscoError, messageOf } from '../errors.js';
import { getLogger, type Logger } from '../logger.js';
import { TOOL_VERSION } from '../version.js';

/**
 * The alert an event raises, if any. An event typed as an alert kind raises that alert (`sla.missed`,
 * `quality.failed` which the load publishes beside each `partition.quarantined`, `client.rolled_back`); besides,
 * `reconcile.completed` with `data.status` `fail` raises `reconcile.failed`.
 */
export function alertKindOf(event: Pick<BusEvent, 'type' | 'data'>): AlertKind | undefined {
  if ((ALERT_KINDS as readonly string[]).includes(event.type)) return event.type as AlertKind;
  if (event.type === 'reconcile.completed' && (event.data as { status?: unknown } | null)?.status === 'fail') return 'reconcile.failed';
  return undefined;
}

/** The JSON body POSTed to a webhook. */
export interface AlertPayload {
  alert: AlertKind;
  event: BusEvent;
  sent_at: string;
}

/** Headers on every alert request. The event id lets a receiver drop a repeat: alerts are delivered at least once. */
export const ALERT_HEADERS = {
  alert: 'x-bosco-alert',
  eventId: 'x-bosco-event-id',
  /** `sha256=<hex HMAC-SHA256 of the raw body with the webhook's secret>`, when it has one. */
  signature: 'x-bosco-signature-256',
} as const;

/** What became of one alert at one webhook. */
export interface AlertDelivery {
  /** The webhook as it may be shown: its position in the config and its origin, never its path (which can hold a token). */
  webhook: string;
  status: 'sent' | 'failed';
  attempts: number;
  /** Why it failed: the HTTP status or the network error. */
  error?: string;
}

export interface AlertSink {
  /**
   * Posts the alert `event` raises (see alertKindOf) to every webhook subscribed to its kind, at once; resolves with
   * one delivery per webhook ([] when the event raises no alert or no webhook wants it). Throws ALERT_FAILED when a
   * webhook still failed after its retries; called again with the same event, it re-sends only to the webhooks that
   * have not accepted it.
   */
  notify(event: BusEvent): Promise<AlertDelivery[]>;
}

export interface AlertSinkOptions {
  /** Where `secretEnv` variables are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Wait before the first retry; it doubles for each further one, up to 30 s, less a random part so retries spread. Default 500 ms. */
  backoffMs?: number;
  logger?: Logger;
}

interface Webhook {
  settings: AlertWebhookSettings;
  label: string;
  secret: string | undefined;
}

const MAX_BACKOFF_MS = 30_000;
/** Events already accepted by a webhook, remembered so a redelivered event does not alert it twice. */
const REMEMBERED = 1000;

function label(url: string, index: number): string {
  return `webhook ${index + 1} (${new URL(url).origin})`;
}

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Makes the sink; reads every webhook's secret now, so a missing one fails at start rather than at the first alert. */
export function createAlertSink(settings: AlertSettings, options: AlertSinkOptions = {}): AlertSink {
  const env = options.env ?? process.env;
  const backoffMs = options.backoffMs ?? 500;
  const webhooks: Webhook[] = settings.webhooks.map((webhook, index) => {
    let secret: string | undefined;
    if (webhook.secretEnv !== undefined) {
      secret = env[webhook.secretEnv];
      if (!secret) {
        throw new BoscoError('CREDENTIALS_MISSING', `environment variable ${webhook.secretEnv} is not set`, {
          hint: `export ${webhook.secretEnv} with the secret ${label(webhook.url, index)} checks signatures with, or remove alerts.webhooks[${index}].secretEnv`,
        });
      }
    }
    return { settings: webhook, label: label(webhook.url, index), secret };
  });
  const accepted = new Set<string>();

  async function post(webhook: Webhook, alert: AlertKind, event: BusEvent): Promise<AlertDelivery> {
    const logger = options.logger ?? getLogger();
    const body = JSON.stringify({ alert, event, sent_at: new Date().toISOString() } satisfies AlertPayload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `bosco/${TOOL_VERSION}`,
      [ALERT_HEADERS.alert]: alert,
      [ALERT_HEADERS.eventId]: event.id,
    };
    if (webhook.secret !== undefined) headers[ALERT_HEADERS.signature] = `sha256=${createHmac('sha256', webhook.secret).update(body).digest('hex')}`;
    const attempts = webhook.settings.retries + 1;
    let error = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let wait = Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      try {
        const response = await fetch(webhook.settings.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(webhook.settings.timeoutMs) });
        await response.body?.cancel();
        if (response.ok) return { webhook: webhook.label, status: 'sent', attempts: attempt };
        error = `HTTP ${response.status}`;
        if (!retryable(response.status)) return { webhook: webhook.label, status: 'failed', attempts: attempt, error };
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) wait = Math.min(MAX_BACKOFF_MS, Math.max(wait, retryAfter * 1000));
      } catch (failure) {
        error = (failure as Error).name === 'TimeoutError' ? `no answer within ${webhook.settings.timeoutMs} ms` : messageOf(failure);
      }
      logger.warn({ webhook: webhook.label, alert, eventId: event.id, attempt, error }, 'alert not delivered');
      if (attempt < attempts) await delay(wait);
    }
    return { webhook: webhook.label, status: 'failed', attempts, error };
  }

  return {
    async notify(event) {
      const alert = alertKindOf(event);
      if (!alert) return [];
      const targets = webhooks.filter((webhook) => webhook.settings.events.includes(alert) && !accepted.has(`${webhook.label} ${event.id}`));
      const deliveries = await Promise.all(targets.map((webhook) => post(webhook, alert, event)));
      for (const [i, delivery] of deliveries.entries()) {
        if (delivery.status !== 'sent') continue;
        accepted.add(`${targets[i]!.label} ${event.id}`);
        if (accepted.size > REMEMBERED) accepted.delete(accepted.values().next().value!);
      }
      const failed = deliveries.filter((delivery) => delivery.status === 'failed');
      if (failed.length > 0) {
        throw new BoscoError('ALERT_FAILED', `alert ${alert} for event ${event.id} was not delivered to ${failed.map((d) => `${d.webhook}: ${d.error}`).join('; ')}`, {
          hint: 'check that the webhook URL is right and its server up; a 4xx answer means it refused the request (a wrong URL or signature secret)',
        });
      }
      return deliveries;
    },
  };
}
