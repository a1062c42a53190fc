/**
 * Every failure the tool reports to a user is a BoscoError: a stable code, a one-line message saying what was
 * wrong, and a hint saying how to fix it. The CLI maps `exitCode` straight to the process exit code.
 */
export const EXIT = {
  ok: 0,
  /** Differences beyond tolerance, or a check that did not pass. */
  failed: 1,
  /** Usage, config, unreadable or malformed input. */
  badInput: 2,
  /** A source or store could not be reached. */
  unreachable: 3,
  /** A bug or an unexpected failure. */
  internal: 70,
} as const;

export type ErrorCode =
  | 'USAGE'
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'SOURCE_NOT_FOUND'
  | 'SOURCE_UNSUPPORTED'
  | 'SOURCE_MALFORMED'
  | 'SOURCE_MISSING_COLUMN'
  | 'SOURCE_UNREACHABLE'
  | 'UNKNOWN_CLIENT'
  | 'PAYLOAD_INVALID'
  | 'CREDENTIALS_MISSING'
  | 'FX_RATE_MISSING'
  | 'PLATFORM_FAILED'
  | 'WORKSPACE_LOCKED'
  | 'FLAG_CONFLICT'
  | 'GATE_CLOSED'
  | 'WAREHOUSE_FAILED'
  | 'BUS_FAILED'
  | 'ALERT_FAILED'
  | 'INTERNAL';

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  USAGE: EXIT.badInput,
  CONFIG_INVALID: EXIT.badInput,
  CONFIG_UNREADABLE: EXIT.badInput,
  SOURCE_NOT_FOUND: EXIT.badInput,
  SOURCE_UNSUPPORTED: EXIT.badInput,
  SOURCE_MALFORMED: EXIT.badInput,
  SOURCE_MISSING_COLUMN: EXIT.badInput,
  UNKNOWN_CLIENT: EXIT.badInput,
  PAYLOAD_INVALID: EXIT.badInput,
  CREDENTIALS_MISSING: EXIT.badInput,
  /** A partition needs a rate the rates table lacks: that partition fails, the run reports it. */
  FX_RATE_MISSING: EXIT.failed,
  /** A platform kept failing after retries: the partition failed, the run reports it. */
  PLATFORM_FAILED: EXIT.failed,
  SOURCE_UNREACHABLE: EXIT.unreachable,
  WORKSPACE_LOCKED: EXIT.unreachable,
  /** Someone changed the client's stage since it was read: nothing was written; read it again and decide. */
  FLAG_CONFLICT: EXIT.failed,
  /** A promotion's gate did not pass: nothing was changed. */
  GATE_CLOSED: EXIT.failed,
  WAREHOUSE_FAILED: EXIT.internal,
  /** The event bus refused an operation (not a connection failure: that is SOURCE_UNREACHABLE). */
  BUS_FAILED: EXIT.internal,
  /** An alert could not be delivered to a webhook after its retries. */
  ALERT_FAILED: EXIT.unreachable,
  INTERNAL: EXIT.internal,
};

export class BoscoError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'BoscoError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = EXIT_BY_CODE[code];
  }
}

export function isBoscoError(error: unknown): error is BoscoError {
  return error instanceof BoscoError;
}

/** The message of anything thrown, without a stack. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
