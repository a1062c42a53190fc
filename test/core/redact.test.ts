import { describe, expect, it } from 'vitest';
import { redactUri } from '../../core/redact.js';

describe('redactUri', () => {
  it('hides the password in the user part', () => {
    expect(redactUri('postgres://root:hunter2@127.0.0.1:5432/test?table=public.daily')).toBe('postgres://root:***@127.0.0.1:5432/test?table=public.daily');
  });

  it('hides credentials passed as query parameters, and keeps the others', () => {
    const redacted = redactUri('postgres://root@127.0.0.1:5432/test?table=public.daily&password=hunter2&sslpassword=s3cret&api_key=k');
    expect(redacted).not.toMatch(/hunter2|s3cret|=k\b/);
    expect(redacted).toBe('postgres://root@127.0.0.1:5432/test?table=public.daily&password=***&sslpassword=***&api_key=***');
  });

  it('leaves a URI without credentials exactly as written', () => {
    const uri = 'postgres://root@127.0.0.1:5432/test?table=Public.%22Daily%22';
    expect(redactUri(uri)).toBe(uri);
  });

  it('still hides user:password@ in a URI that does not parse', () => {
    expect(redactUri('postgres://root:hunter2@127.0.0.1:99999/test')).toBe('postgres://root:***@127.0.0.1:99999/test');
  });
});
