import { describe, expect, it } from 'vitest';
import { telemetryWanted } from '../../../core/telemetry.js';

describe('telemetryWanted', () => {
  it('exports only when asked: by --otel, with or without an endpoint', () => {
    expect(telemetryWanted(undefined, {})).toBe(false);
    expect(telemetryWanted(true, {})).toBe(true);
    expect(telemetryWanted('http://collector:4318', {})).toBe(true);
  });

  it('takes the standard variables that name an OTLP endpoint or exporter as asking', () => {
    expect(telemetryWanted(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(telemetryWanted(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(telemetryWanted(undefined, { OTEL_TRACES_EXPORTER: 'console, otlp' })).toBe(true);
    expect(telemetryWanted(undefined, { OTEL_METRICS_EXPORTER: 'OTLP' })).toBe(true);
    expect(telemetryWanted(undefined, { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
  });

  it('lets OTEL_SDK_DISABLED=true turn export off whatever else asks for it', () => {
    expect(telemetryWanted(true, { OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(telemetryWanted(true, { OTEL_SDK_DISABLED: 'false' })).toBe(true);
  });
});
