/**
 * A small model of how AWS evaluates a resource policy for one request, enough for the conditions this stack writes
 * (Arn/String operators, their Not forms, Bool), after the IAM policy evaluation logic: an explicit Deny wins; else
 * an Allow in the resource policy or in the caller's identity policy (same account) allows. A key the request lacks
 * satisfies a negated operator and fails a positive one. Source: "Policy evaluation logic" and "IAM JSON policy
 * elements: Condition operators" in the IAM User Guide.
 */

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

/** Resolves the intrinsics a template holds here: GetAtt Arn, Ref (pseudo parameters), Join. */
export function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if ('Fn::GetAtt' in object) return arnOf((object['Fn::GetAtt'] as string[])[0] ?? '');
  if ('Ref' in object) {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': ACCOUNT,
      'AWS::Region': REGION,
    };
    return pseudo[object.Ref as string] ?? `ref:${String(object.Ref)}`;
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map(resolve).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, resolve(inner)]));
}

/** The ARN a logical id's `Arn` attribute stands for in these evaluations. */
export function arnOf(logicalId: string): string {
  return `arn:aws:iam::${ACCOUNT}:role/${logicalId}`;
}

export interface Request {
  readonly action: string;
  /** The caller's aws:PrincipalArn (a role session: its role's ARN); absent for a service principal. */
  readonly principalArn?: string;
  /** Set for a service principal (`events.amazonaws.com`). */
  readonly service?: string;
  /** Set by a service acting for one of its resources. */
  readonly sourceArn?: string;
  /** Whether the caller's own IAM policies allow the action (an account administrator's do). */
  readonly identityAllows: boolean;
}

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Principal: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

function contextValue(request: Request, key: string): string | undefined {
  switch (key) {
    case 'aws:PrincipalArn':
      return request.principalArn;
    case 'aws:PrincipalAccount':
      return request.principalArn?.split(':')[4];
    case 'aws:SourceArn':
      return request.sourceArn;
    case 'aws:SecureTransport':
      return 'true';
    default:
      throw new Error(`condition key ${key} is not modelled`);
  }
}

function conditionHolds(operator: string, key: string, values: string[], request: Request): boolean {
  const negated = operator.includes('Not');
  const actual = contextValue(request, key);
  if (actual === undefined) return negated;
  const base = operator.replace('Not', '');
  const matches = values.some((value) => {
    if (base === 'ArnLike' || base === 'StringLike') return glob(value).test(actual);
    if (base === 'ArnEquals' || base === 'StringEquals' || base === 'Bool') return value === actual;
    throw new Error(`operator ${operator} is not modelled`);
  });
  return negated ? !matches : matches;
}

function principalMatches(principal: unknown, request: Request): boolean {
  if (principal === '*') return true;
  const { AWS, Service } = principal as { AWS?: string | string[]; Service?: string | string[] };
  if (Service !== undefined) return request.service !== undefined && list(Service).includes(request.service);
  if (AWS === undefined || request.principalArn === undefined) return false;
  return list(AWS).some(
    (entry) =>
      entry === '*' ||
      entry === request.principalArn ||
      entry === `arn:aws:iam::${request.principalArn?.split(':')[4]}:root`,
  );
}

function applies(statement: Statement, request: Request): boolean {
  if (!list(statement.Action).some((action) => glob(action).test(request.action))) return false;
  if (!principalMatches(statement.Principal, request)) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => conditionHolds(operator, key, list(values), request)),
  );
}

/** Whether the request is allowed, given the resource policy's statements (resolved). */
export function allowed(statements: readonly unknown[], request: Request): boolean {
  const resolved = statements.map((statement) => resolve(statement) as Statement);
  if (resolved.some((statement) => statement.Effect === 'Deny' && applies(statement, request))) return false;
  const resourceAllows = resolved.some((statement) => statement.Effect === 'Allow' && applies(statement, request));
  // Within the account either policy suffices; across accounts both must allow.
  const sameAccount = request.principalArn?.split(':')[4] === ACCOUNT;
  if (request.service !== undefined) return resourceAllows;
  return sameAccount ? request.identityAllows || resourceAllows : request.identityAllows && resourceAllows;
}
