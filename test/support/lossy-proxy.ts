/**
 * An HTTP proxy that loses answers: it forwards every request to the real (local) service, and for the first
 * `lose` requests that match, lets the service apply it, then cuts the connection before the answer reaches the
 * client. The client's SDK sees a socket hang up (ECONNRESET), a transient error it retries: the same call twice.
 */
import { createServer, request as forward, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LossyProxy {
  readonly endpoint: string;
  /** Requests the service applied whose answer the client never got. */
  readonly lost: number;
  stop(): Promise<void>;
}

export async function startLossyProxy(options: {
  readonly upstream: string;
  readonly lose: number;
  /** Which requests may lose their answer (e.g. by `x-amz-target`). Default: all. */
  readonly matches?: (request: IncomingMessage) => boolean;
}): Promise<LossyProxy> {
  const upstream = new URL(options.upstream);
  let toLose = options.lose;
  let lost = 0;
  const server = createServer((incoming, outgoing) => {
    const loseThis = toLose > 0 && (options.matches?.(incoming) ?? true);
    if (loseThis) toLose -= 1;
    const proxied = forward(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: upstream.host },
      },
      (answer) => {
        if (loseThis) {
          // Read the answer to its end, so the service has surely applied the call, then drop the client.
          answer.resume();
          answer.on('end', () => {
            lost += 1;
            incoming.socket.destroy();
          });
          return;
        }
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    proxied.on('error', () => incoming.socket.destroy());
    incoming.pipe(proxied);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get lost() {
      return lost;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
