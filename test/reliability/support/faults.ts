import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { AtlasApi } from '../../../functions/core/atlas/api.ts';
import { SimulatedCrash } from '../../functions/core/workflow/fakes.ts';

// Thrown where a process would die: the message then comes back after its visibility timeout.
export { SimulatedCrash };

/**
 * Wraps every method of a port: `around(method, args, call)` decides what happens (call through, throw before,
 * throw after the effect). Works for the Atlas, Ledger and Queue ports alike.
 */
export function intercept<T extends object>(
  target: T,
  around: (method: string, args: unknown[], call: () => Promise<unknown>) => Promise<unknown>,
): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => around(property, args, () => Promise.resolve(value.apply(object, args)));
    },
  });
}

/** The Atlas port, crashing once right after the first POST took effect (the job exists, nobody knows its id). */
export function crashAfterFirstPost(atlas: AtlasApi): AtlasApi {
  let crashed = false;
  return intercept(atlas, async (method, _args, call) => {
    const result = await call();
    if (method === 'createRestoreJob' && !crashed) {
      crashed = true;
      throw new SimulatedCrash('after the POST');
    }
    return result;
  });
}

/** DynamoDB refusing a request for throughput after the SDK's retries gave up. */
export function throughputExceeded(): Error {
  return new ProvisionedThroughputExceededException({
    message: 'The level of configured provisioned throughput for the table was exceeded.',
    $metadata: { httpStatusCode: 400 },
  });
}

/** The throttling error DynamoDB answers (on-demand tables, control plane) once the SDK's retries gave up. */
export function throttling(): Error {
  const error = new Error('Rate of requests exceeds the allowed throughput.');
  error.name = 'ThrottlingException';
  return Object.assign(error, { $metadata: { httpStatusCode: 400 }, $fault: 'client' });
}

/** Whether an UpdateItem sets `attribute` (the ledger's expressions name attributes `#name`). */
export function touches(input: Record<string, unknown>, attribute: string): boolean {
  return String(input.UpdateExpression ?? '').includes(`#${attribute} =`);
}

/** Whether an UpdateItem sets `attribute` and nothing else (markHandedOff, markReported). */
export function touchesOnly(input: Record<string, unknown>, attribute: string): boolean {
  return /^SET #(\w+) = :v0$/.exec(String(input.UpdateExpression ?? ''))?.[1] === attribute;
}

/** A fault for the first `times` DynamoDB commands `matches` accepts. */
export function dynamodbFaultOnce(
  matches: (command: string, input: Record<string, unknown>) => boolean,
  error: () => Error,
  times = 1,
): { fault: (command: string, input: Record<string, unknown>) => Error | undefined; hits: () => number } {
  let hits = 0;
  return {
    fault(command, input) {
      if (hits >= times || !matches(command, input)) return undefined;
      hits += 1;
      return error();
    },
    hits: () => hits,
  };
}
