import { z } from 'zod';
import { BoscoError } from '../../core/errors.js';

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '') || '(body)';
}

/**
 * Validates a response body against an API's schema. A mismatch names the field path, e.g.
 * `meta_ads payload: data[3].spend: expected string, received number`.
 */
export function parsePayload<T>(schema: z.ZodType<T>, body: unknown, platform: string): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new BoscoError('PAYLOAD_INVALID', `${platform} payload: ${formatPath(issue.path)}: ${issue.message}`, {
    hint: 'the platform changed its response shape (schema drift) or the body is not this API\'s; compare it with the connector\'s schema',
  });
}

/**
 * Refuses a body that is the platform's own error answer rather than data (a saved 4xx, a TikTok non-zero code),
 * naming the platform's error, its code and message, instead of the first data field the body lacks. `describe`
 * reads the API's error shape and returns undefined for a body that is not one.
 */
export function rejectErrorAnswer(platform: string, body: unknown, describe: (body: unknown) => string | undefined): void {
  const error = describe(body);
  if (error === undefined) return;
  throw new BoscoError('PAYLOAD_INVALID', `${platform} error answer: ${error}`, {
    hint: "the body is the platform's error answer, not data: fix what it names (credential, permission, rate limit, request) and fetch again",
  });
}

/** Each schema without its optional/nullable/default wrappers, worked out once: drift is looked for on every page. */
const unwrapped = new WeakMap<z.ZodType, z.ZodType>();

function unwrap(schema: z.ZodType): z.ZodType {
  let current = unwrapped.get(schema);
  if (current) return current;
  current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) {
    current = (current as z.ZodOptional<z.ZodType>).unwrap() as z.ZodType;
  }
  unwrapped.set(schema, current);
  return current;
}

function collectUnknown(schema: z.ZodType, value: unknown, path: string, found: Set<string>): void {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const shape = inner.shape as Record<string, z.ZodType>;
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const childPath = path ? `${path}.${key}` : key;
      if (Object.hasOwn(shape, key)) collectUnknown(shape[key]!, child, childPath, found);
      else found.add(childPath);
    }
  } else if (inner instanceof z.ZodArray && Array.isArray(value)) {
    for (const item of value) collectUnknown(inner.element as z.ZodType, item, `${path}[]`, found);
  }
}

/** Paths of fields present in `value` that `schema` does not declare (`data[].new_field`): schema drift. */
export function unknownFieldPaths(schema: z.ZodType, value: unknown): string[] {
  const found = new Set<string>();
  collectUnknown(schema, value, '', found);
  return [...found];
}
