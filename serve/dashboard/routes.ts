import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { resolveReportDate } from '../../core/dates.js';
import { BoscoError } from '../../core/errors.js';
import { publishShadowHistory } from '../../shadow/publish-history.js';
import { promote, rollback, type CutoverContext, type CutoverOutcome } from '../../flags/cutover.js';
import { STAGES } from '../../flags/types.js';
import { shadowEvidence } from '../../shadow/gate-evidence.js';
import type { ServeDeps } from '../types.js';
import { gatherCutoverReport, type CutoverReport } from './cutover-report.js';
import { dashboardCsp, renderDashboardHtml } from './render.js';

const ClientParams = z.object({ id: z.string().min(1).max(200) });
const ChangeBody = z
  .object({
    reason: z.string().trim().min(1, 'a reason is required (it goes in the audit log)').max(500),
    // The stage the page showed: acting on a page that is out of date is a conflict, not a second move.
    expected_stage: z.enum(STAGES).optional(),
  })
  .strict();

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const hint = where === 'body' ? 'send a JSON body {"reason": "…"} saying why' : 'name a configured client id';
  throw new BoscoError('USAGE', `${where}${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`, { hint });
}

/** Today in the reporting zone, by the server's clock: the day gates are decided on. */
const todayOf = (deps: ServeDeps) => resolveReportDate('today', deps.loaded.config.reportingTimeZone, deps.now());

async function currentReport(deps: ServeDeps): Promise<CutoverReport> {
  const { records, stale } = await deps.stages.list();
  const now = deps.now();
  return deps.warehouse.use((warehouse) => gatherCutoverReport(warehouse, records, deps.loaded.config, todayOf(deps), now, { stagesStale: stale }));
}

function cutoverContext(deps: ServeDeps, actor: string): CutoverContext {
  const { config } = deps.loaded;
  return { store: deps.stageStore, warehouse: deps.warehouse, bus: deps.bus, evidence: shadowEvidence(deps.now), clients: config.clients, settings: config.flags, actor, today: todayOf(deps), onLive: publishShadowHistory };
}

/** The protection space a browser is asked to sign in to: the key is the password, the user name is ignored. */
export const DASHBOARD_REALM = 'bosco cutover';

/**
 * The cutover dashboard's routes. Every one needs an admin key (every client's stage and comparison results are
 * in the report): sent as a header, or, so leadership can open the page in a browser with no script, as the
 * password of HTTP Basic auth, which a 401 asks for (`WWW-Authenticate: Basic realm="bosco cutover"`). The page's
 * promote and rollback calls carry the same credentials; the actor of the key is what the audit log records, and
 * the flags module applies the gate exactly as `bosco flags promote` does.
 */
export async function registerDashboardRoutes(app: FastifyInstance, deps: ServeDeps): Promise<void> {
  const requireAdmin = (request: FastifyRequest) => deps.auth.requireAdmin(request, { basicRealm: DASHBOARD_REALM });

  app.get('/v1/cutover', async (request, reply) => {
    await requireAdmin(request);
    reply.header('cache-control', 'no-store');
    return currentReport(deps);
  });

  app.get('/dashboard', async (request, reply) => {
    const admin = await requireAdmin(request);
    const support = { actor: admin.actor };
    const html = renderDashboardHtml(await currentReport(deps), { support });
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', `${dashboardCsp({ support })}; frame-ancestors 'none'`)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .send(html);
  });

  // Who an admin key acts as, for scripts; a non-admin key gets the authenticator's 401/403.
  app.get('/v1/cutover/whoami', async (request) => {
    const admin = await requireAdmin(request);
    return { actor: admin.actor, key_id: admin.keyId };
  });

  const change = (action: 'promote' | 'rollback') => async (request: FastifyRequest, reply: FastifyReply) => {
    // Authenticated before anything is read from the request, so a caller without an admin key learns nothing.
    // A browser sends its Basic credentials with any request to this origin, but only a same-origin script can send
    // the JSON body required here (another site's form cannot, and its script cannot without a CORS preflight).
    const admin = await requireAdmin(request);
    const { id } = parse(ClientParams, request.params, 'path');
    const { reason, expected_stage: expectStage } = parse(ChangeBody, request.body ?? {}, 'body');
    const context = cutoverContext(deps, admin.actor);
    let outcome: CutoverOutcome;
    if (action === 'promote') {
      outcome = await promote(context, id, { reason, expectStage });
      if (!outcome.applied) {
        const blockers = outcome.decision?.checks.filter((check) => !check.pass).map((check) => `${check.name}: ${check.detail}`) ?? [];
        throw new BoscoError('GATE_CLOSED', `the gate from ${outcome.from} to ${outcome.to} is closed for ${id}: ${blockers.join('; ')}`, {
          hint: 'nothing changed; fix the failing checks, or override from the CLI with bosco flags promote --force --reason "…"',
        });
      }
    } else {
      outcome = await rollback(context, id, { reason, expectStage });
    }
    reply.header('cache-control', 'no-store');
    return { outcome };
  };
  app.post('/v1/clients/:id/promote', change('promote'));
  app.post('/v1/clients/:id/rollback', change('rollback'));
}
