import { Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';

/**
 * Lets `grantee` read `secret`, and decrypt it with its customer managed key when it has one: the secret's own grant
 * cannot do this for an imported key, whose kms:ViaService principal only fits a key policy.
 */
export function grantSecretRead(grantee: IGrantable, secret: ISecret, keyArn?: string): void {
  secret.grantRead(grantee);
  if (keyArn === undefined) return;
  Grant.addToPrincipal({
    grantee,
    actions: ['kms:Decrypt'],
    resourceArns: [keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(secret).region}.amazonaws.com` } },
  });
}
