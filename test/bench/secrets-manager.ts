import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * GetSecretValue on 127.0.0.1 (awsJson1_1), for the handler bundle's own Secrets Manager client: one secret, and a
 * count of the reads (the cost model prices them).
 */
export async function startSecretsManager(secretId: string, secretString: string) {
  let reads = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const ok = request.headers['x-amz-target'] === 'secretsmanager.GetSecretValue';
      if (ok) reads += 1;
      response.writeHead(ok ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify(
          ok
            ? {
                ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${secretId}`,
                Name: secretId,
                SecretString: secretString,
                VersionId: 'v1',
              }
            : { __type: 'UnknownOperationException', message: 'bench fake answers GetSecretValue only' },
        ),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reads: () => reads,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
