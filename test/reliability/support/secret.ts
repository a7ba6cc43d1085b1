import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

export const SECRET_ID = 'atlas-restore/atlas-credentials';

/**
 * The Secrets Manager secret the credentials source reads, on a mocked SDK client: what GetSecretValue answers can be
 * changed (a rotation), made malformed, or made to fail with an AWS error.
 */
export class MockedSecret {
  readonly client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  reads = 0;
  #answer: () => GetSecretValueCommandOutput = () => {
    throw new Error('no secret value set');
  };

  constructor() {
    mockClient(this.client)
      .on(GetSecretValueCommand)
      .callsFake(async () => {
        this.reads += 1;
        return this.#answer();
      });
  }

  /** The secret holds this JSON document. */
  setDocument(document: Record<string, unknown>): void {
    this.setText(JSON.stringify(document));
  }

  /** The secret holds this exact string (malformed secrets included). */
  setText(text: string): void {
    this.#answer = () => ({
      $metadata: {},
      ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SECRET_ID}`,
      Name: SECRET_ID,
      SecretString: text,
    });
  }

  /** GetSecretValue fails with this AWS error (by name: ResourceNotFoundException, ThrottlingException, …). */
  fail(name: string): void {
    this.#answer = () => {
      const error = new Error(`simulated ${name}`);
      error.name = name;
      throw error;
    };
  }
}
