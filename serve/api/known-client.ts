import { BoscoError } from '../../core/errors.js';
import type { ServeDeps } from '../types.js';

/**
 * Refuses a client the config does not list (404, UNKNOWN_CLIENT), rather than answering with no rows as if it had
 * none. Asked only once the key may read the client: a client key asking for another client has already had the
 * one 403 that says nothing about whether that client exists.
 */
export function requireConfiguredClient(deps: Pick<ServeDeps, 'loaded'>, clientId: string): void {
  if (deps.loaded.config.clients.some((client) => client.id === clientId)) return;
  throw new BoscoError('UNKNOWN_CLIENT', `no client '${clientId}' is configured`, { hint: 'ask for a client listed under "clients" in the config (bosco flags list shows them)' });
}
