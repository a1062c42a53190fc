/** Removes the password from a URI so it can be logged or stored; anything unparseable is returned as is. */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (!url.password) return uri;
    url.password = '***';
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
