import { BoscoError } from '../../core/errors.js';
import type { Platform } from '../../core/metric-row.js';
import { decimalFromNumber, parseDecimal, type Decimal } from './decimal.js';

const HINT = 'the connector accepted a value the transform cannot read; compare the landed payload with the connector\'s schema';

function unreadable(platform: Platform, field: string, value: string | number, expected: string): BoscoError {
  return new BoscoError('PAYLOAD_INVALID', `${platform} record: ${field}: expected ${expected}, received '${value}'`, { hint: HINT });
}

/** A decimal the API wrote as text (`"12.34"`), exactly. */
export function readDecimal(platform: Platform, field: string, text: string): Decimal {
  const value = parseDecimal(text);
  if (!value) throw unreadable(platform, field, text, 'a number');
  return value;
}

/** A decimal the API wrote as a JSON number (Google's doubles), as the text it was written as. */
export function readDouble(platform: Platform, field: string, number: number): Decimal {
  const value = decimalFromNumber(number);
  if (!value) throw unreadable(platform, field, number, 'a finite number');
  return value;
}

/** A count (impressions, clicks) written as text; a fraction is refused rather than truncated. */
export function readCount(platform: Platform, field: string, text: string): bigint {
  const value = parseDecimal(text);
  if (!value) throw unreadable(platform, field, text, 'a whole number');
  const unit = 10n ** BigInt(value.scale);
  if (value.digits % unit !== 0n) throw unreadable(platform, field, text, 'a whole number');
  return value.digits / unit;
}
