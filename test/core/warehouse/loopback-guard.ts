import net from 'node:net';

/**
 * Refuses, and records, every TCP connection this process tries to open to anything but 127.0.0.1 (a Google host,
 * the metadata server the auth library probes, even `localhost`), so a contract test fails rather than reach out.
 * Every HTTP stack (http, https, fetch) connects through `net.Socket.prototype.connect`.
 */
export function guardLoopback(): { refused: string[]; restore(): void } {
  const original = net.Socket.prototype.connect;
  const refused: string[] = [];
  net.Socket.prototype.connect = function connect(this: net.Socket, ...args: unknown[]) {
    // `net.connect` passes its normalised arguments as one array; a direct call passes (options | port, host?).
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const target = (typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }) as { host?: unknown; port?: unknown; path?: unknown };
    if (target.path === undefined && target.host !== '127.0.0.1') {
      const where = `${String(target.host ?? 'localhost')}:${String(target.port)}`;
      refused.push(where);
      process.nextTick(() => this.destroy(new Error(`refused a connection to ${where}: a contract test may only reach 127.0.0.1`)));
      return this;
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof original;
  return {
    refused,
    restore() {
      net.Socket.prototype.connect = original;
    },
  };
}
