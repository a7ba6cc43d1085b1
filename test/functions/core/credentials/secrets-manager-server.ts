import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** What the fake answers to GetSecretValue for one secret: a value, or an AWS error by its type name. */
export type SecretAnswer = { readonly secretString: string } | { readonly error: string; readonly status?: number };

/**
 * A Secrets Manager endpoint on 127.0.0.1 speaking the awsJson1_1 protocol for GetSecretValue, so tests drive the
 * real SDK client over a socket. `answers` maps secret ids to what the next calls get; `calls` counts requests.
 */
export async function startSecretsManager(answers: Map<string, SecretAnswer>) {
  const calls: string[] = [];
  const server = createServer(async (request, response) => {
    const body = JSON.parse(await text(request)) as { SecretId?: string };
    const target = request.headers['x-amz-target'];
    const secretId = body.SecretId ?? '';
    calls.push(secretId);
    const answer = answers.get(secretId);
    const reply = (status: number, payload: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(payload));
    };
    if (target !== 'secretsmanager.GetSecretValue') return reply(400, { __type: 'UnknownOperationException' });
    if (answer === undefined) {
      return reply(400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
    }
    if ('error' in answer)
      return reply(answer.status ?? 400, { __type: answer.error, message: `simulated ${answer.error}` });
    return reply(200, {
      ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${secretId}`,
      Name: secretId,
      SecretString: answer.secretString,
      VersionId: 'v1',
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const client = new SecretsManagerClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret-access-key' },
    maxAttempts: 1,
  });
  return {
    client,
    calls,
    async close() {
      client.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

async function text(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
