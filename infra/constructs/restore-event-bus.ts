import { Stack } from 'aws-cdk-lib';
import { type CfnEventBus, EventBus } from 'aws-cdk-lib/aws-events';
import { AccountPrincipal, AnyPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface RestoreEventBusProps {
  /** Accounts (12 digits) whose principals may put events, as their own IAM policies allow. @default - none */
  readonly senderAccounts?: readonly string[];
  /** Role ARNs (`*` may stand for part of a name) whose sessions may put events. @default - none */
  readonly senderRoleArns?: readonly string[];
}

/**
 * The bus restore requests arrive on as events: the stack's own, never the default bus, whose events anyone with
 * `events:PutEvents` in the account can put (and whose `source` nobody authenticates). Its policy allows the listed
 * accounts and roles, and denies PutEvents to every other principal, this account's administrators included.
 */
export class RestoreEventBus extends Construct {
  readonly bus: EventBus;
  /** The bus's resource policy. */
  readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, props: RestoreEventBusProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const accounts = [...new Set(props.senderAccounts ?? [])];
    const roles = [...new Set(props.senderRoleArns ?? [])];

    const eventBusName = `${stack.stackName}-restore-requests`;
    this.bus = new EventBus(this, 'Bus', {
      eventBusName,
      description: 'Restore requests sent as events: only the senders in its policy may put events here',
    });

    // The bus's own Policy property, one document set with the bus: its ARN is built from its name, as a property
    // cannot name its own resource's attributes.
    const busArn = stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: eventBusName });
    const statements: PolicyStatement[] = [];
    if (accounts.length > 0) {
      statements.push(
        new PolicyStatement({
          sid: 'AllowSenderAccounts',
          principals: accounts.map((account) => new AccountPrincipal(account)),
          actions: ['events:PutEvents'],
          resources: [busArn],
        }),
      );
    }
    if (roles.length > 0) {
      // A policy's Principal cannot hold wildcards nor name a role that does not exist yet: name the roles' accounts
      // and match the roles by aws:PrincipalArn.
      statements.push(
        new PolicyStatement({
          sid: 'AllowSenderRoles',
          principals: [...new Set(roles.map(accountOf))].map((account) => new AccountPrincipal(account)),
          actions: ['events:PutEvents'],
          resources: [busArn],
          conditions: { ArnLike: { 'aws:PrincipalArn': roles } },
        }),
      );
    }
    statements.push(
      new PolicyStatement({
        sid: 'DenyEveryoneElse',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [busArn],
        conditions: {
          ...(roles.length === 0 ? {} : { ArnNotLike: { 'aws:PrincipalArn': roles } }),
          ...(accounts.length === 0 ? {} : { StringNotEquals: { 'aws:PrincipalAccount': accounts } }),
        },
      }),
    );
    this.policy = new PolicyDocument({ statements });
    (this.bus.node.defaultChild as CfnEventBus).policy = this.policy;
  }
}

/** The account id of a role ARN. */
export function accountOf(roleArn: string): string {
  const account = roleArn.split(':')[4];
  if (account === undefined || !/^\d{12}$/.test(account)) throw new Error(`no account in ${roleArn}`);
  return account;
}
