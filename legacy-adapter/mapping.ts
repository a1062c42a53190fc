import type { ColumnMapping, Mapping } from '../core/config.js';
import { CANONICAL_COLUMNS, type ColumnType } from '../core/metric-row.js';
import type { ColumnInfo, SqlDialect } from '../core/warehouse/index.js';

interface ResolvedColumn {
  canonical: string;
  type: ColumnType;
  /** The source column read, or undefined for a fixed value. */
  column?: string;
  fixed?: string;
  scale?: number;
  values?: Record<string, string>;
  timestamp?: boolean;
  timeZone?: string;
}

function resolveColumn(canonical: string, type: ColumnType, spec: ColumnMapping | undefined): ResolvedColumn {
  if (spec === undefined) return { canonical, type, column: canonical };
  if (typeof spec === 'string') return { canonical, type, column: spec };
  if ('fixed' in spec) return { canonical, type, fixed: spec.fixed };
  return {
    canonical,
    type,
    column: spec.column,
    scale: spec.scale,
    values: spec.values,
    timestamp: spec.type === 'timestamp',
    timeZone: spec.timeZone,
  };
}

export function resolveMapping(mapping: Mapping | undefined): ResolvedColumn[] {
  const columns = mapping?.columns ?? {};
  return CANONICAL_COLUMNS.map(({ name, type }) => resolveColumn(name, type, columns[name as keyof typeof columns]));
}

/** The source columns a mapping reads, so readers that copy data copy only those. */
export function sourceColumnsOf(mapping: Mapping | undefined): string[] {
  return [...new Set(resolveMapping(mapping).flatMap((column) => (column.column ? [column.column] : [])))];
}

/** A check that a text column's values parse as the canonical type. */
export interface ParseCheck {
  canonical: string;
  column: string;
  expected: 'number' | 'date';
  raw: string;
  parsed: string;
}

export interface CompiledMapping {
  /** Canonical column → SQL expression over the staged source. */
  expressions: Record<string, string>;
  /** Canonical columns whose source column is absent. */
  missing: Array<{ canonical: string; column: string }>;
  checks: ParseCheck[];
}

/** Multiplying by 0.000001 leaves float noise; dividing by 1000000 does not. */
function scaled(expression: string, scale: number | undefined): string {
  if (scale === undefined || scale === 1) return expression;
  const inverse = 1 / scale;
  if (scale < 1 && Math.abs(inverse - Math.round(inverse)) < 1e-9) return `(${expression} / ${Math.round(inverse)}.0)`;
  return `(${expression} * ${scale})`;
}

/**
 * Compiles a declarative mapping into SQL expressions over a staged source, given the columns it really has.
 * Pure: the caller runs the checks and builds the canonical relation from the expressions.
 */
export function compileMapping(mapping: Mapping | undefined, available: readonly ColumnInfo[], d: SqlDialect): CompiledMapping {
  const byName = new Map(available.map((column) => [column.name, column]));
  const expressions: Record<string, string> = {};
  const missing: CompiledMapping['missing'] = [];
  const checks: ParseCheck[] = [];

  for (const spec of resolveMapping(mapping)) {
    if (spec.fixed !== undefined) {
      expressions[spec.canonical] = spec.type === 'date' ? d.tryDate(d.quoteLiteral(spec.fixed)) : d.quoteLiteral(spec.fixed);
      continue;
    }
    const info = byName.get(spec.column!);
    if (!info) {
      missing.push({ canonical: spec.canonical, column: spec.column! });
      continue;
    }
    const ref = d.quoteIdent(info.name);
    switch (spec.type) {
      case 'text': {
        const text = info.kind === 'text' ? ref : d.text(ref);
        const entries = Object.entries(spec.values ?? {});
        expressions[spec.canonical] = entries.length
          ? `CASE ${text} ${entries.map(([from, to]) => `WHEN ${d.quoteLiteral(from)} THEN ${d.quoteLiteral(to)}`).join(' ')} ELSE ${text} END`
          : text;
        break;
      }
      case 'date': {
        const parsed = spec.timestamp || info.kind === 'timestamp' ? d.timestampToDate(ref, spec.timeZone) : info.kind === 'date' ? ref : d.tryDate(ref);
        expressions[spec.canonical] = parsed;
        if (info.kind === 'text') checks.push({ canonical: spec.canonical, column: info.name, expected: 'date', raw: ref, parsed });
        break;
      }
      case 'integer':
      case 'decimal': {
        const parsed = d.tryDouble(ref);
        expressions[spec.canonical] = scaled(parsed, spec.scale);
        if (info.kind !== 'number') checks.push({ canonical: spec.canonical, column: info.name, expected: 'number', raw: ref, parsed });
        break;
      }
    }
  }
  return { expressions, missing, checks };
}
