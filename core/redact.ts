/** Query parameters that carry credentials in connection URIs (libpq's `password`, `sslpassword`, tokens, keys). */
const SECRET_PARAM = /pass|pwd|token|secret|key|credential|auth/i;

/** Removes the password, and query parameters that look like credentials, from a URI so it can be logged or stored. */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    const secretParams = [...url.searchParams.keys()].filter((name) => SECRET_PARAM.test(name));
    if (!url.password && secretParams.length === 0) return uri;
    if (url.password) url.password = '***';
    for (const name of secretParams) url.searchParams.set(name, '***');
    return url.toString();
  } catch {
    // Unparseable (e.g. a mistyped port) is exactly when the URI ends up in an error message: still hide `user:password@`.
    return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^/?#]*@/i, '$1***@');
  }
}

/** Log fields that may hold secrets; pino replaces their values. */
export const SECRET_LOG_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'connectionString',
  '*.connectionString',
];
