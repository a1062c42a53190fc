import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { SECRET_LOG_PATHS } from './redact.js';

export type { Logger };

export interface LoggerOptions {
  /** pino level; default `BOSCO_LOG_LEVEL`, else `warn` on a terminal (the report is what a person reads) and `info` otherwise. */
  level?: string;
  /** Human-readable lines instead of JSON; default: when stderr is a TTY. */
  pretty?: boolean;
}

// A line logged inside an exported span names it, so logs and traces join; with no SDK there is never an active span.
function traceIds(): object {
  const span = trace.getActiveSpan()?.spanContext();
  return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
}

/** Logs go to stderr (JSON for machines, pretty on a terminal), so stdout stays clean for reports. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.BOSCO_LOG_LEVEL ?? (process.stderr.isTTY ? 'warn' : 'info');
  const base = { level, base: { app: 'bosco' }, redact: { paths: SECRET_LOG_PATHS, censor: '***' }, mixin: traceIds };
  const usePretty = options.pretty ?? Boolean(process.stderr.isTTY);
  if (usePretty) {
    return pino(base, pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname,app' }));
  }
  return pino(base, pino.destination({ fd: 2, sync: true }));
}

let current: Logger | undefined;

/** The process-wide logger; the CLI configures it once at start. */
export function getLogger(): Logger {
  current ??= createLogger();
  return current;
}

export function configureLogger(options: LoggerOptions): Logger {
  current = createLogger(options);
  return current;
}
