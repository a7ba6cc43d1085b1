import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { PRICES } from './prices.ts';

/**
 * What one drill uses, priced at list prices. Pure: the bench fills it from measured figures and the poll schedule.
 */

/** DynamoDB's item size (the documented rules): names and values in UTF-8, numbers about one byte per two digits. */
export function itemSizeBytes(item: Readonly<Record<string, AttributeValue>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((total, entry) => total + Buffer.byteLength(entry), 0);
  if (value.NS !== undefined) return value.NS.reduce((total, entry) => total + numberSize(entry), 0);
  if (value.BS !== undefined) return value.BS.reduce((total, entry) => total + entry.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((total, entry) => total + 1 + valueSize(entry), 0);
  if (value.M !== undefined) {
    return (
      3 +
      Object.entries(value.M).reduce(
        (total, [name, entry]) => total + 1 + Buffer.byteLength(name) + valueSize(entry),
        0,
      )
    );
  }
  return 0;
}

function numberSize(text: string): number {
  const digits = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.min(21, Math.ceil(Math.max(1, digits.length) / 2) + 1);
}

/** Capacity units of one request on an item of `itemBytes`: 1 KB per WRU, 4 KB per strongly consistent RRU. */
export const writeUnits = (itemBytes: number) => Math.max(1, Math.ceil(itemBytes / 1024));
export const readUnits = (itemBytes: number) => Math.max(1, Math.ceil(itemBytes / 4096));

/** The I/O and time of one handled message, as measured. */
export interface MessageUsage {
  /** Billed duration: Lambda rounds each invocation up to the millisecond. */
  readonly durationMs: number;
  readonly dynamodbWrites: number;
  readonly dynamodbReads: number;
  /** Messages it sends (each also received and deleted once by the event source mapping). */
  readonly sqsSends: number;
  readonly logBytes: number;
}

export interface DrillAssumptions {
  readonly memoryMb: number;
  /** Billed INIT of a cold start, ms. */
  readonly initMs: number;
  /** An invocation more than this long after the previous one gets a fresh execution environment. */
  readonly idleEnvironmentSeconds: number;
  /** The function caches the Atlas secret this long per execution environment. */
  readonly secretCacheSeconds: number;
  readonly ledgerItemBytes: number;
  /**
   * The byCluster index's projection. ALL: every write to the item rewrites the index entry. KEYS_ONLY: an update
   * that leaves the index keys alone writes nothing to the index, so only the put that creates the operation does
   * (one small entry, 1 WRU). Source: the DynamoDB Developer Guide, "Global secondary indexes", section on writes
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Writes).
   */
  readonly indexProjection: 'ALL' | 'KEYS_ONLY';
  /** Lambda's START/END/REPORT lines per invocation. */
  readonly platformLogBytesPerInvocation: number;
  /** Multiplies every measured handler duration (what-if: a slower CPU, a real network). Default 1. */
  readonly durationScale?: number;
}

export interface DrillUsage {
  readonly invocations: number;
  readonly coldStarts: number;
  readonly billedGbSeconds: number;
  readonly sqsRequests: number;
  readonly writeUnits: number;
  readonly readUnits: number;
  readonly secretsManagerCalls: number;
  readonly logBytes: number;
}

/**
 * One drill of the workflow: the request message runs the start at 0 s, then one poll message at each instant of
 * `polls` (seconds since submission). The last poll records the outcome; it is priced as a poll.
 */
export function ourDrillUsage(
  polls: readonly number[],
  start: MessageUsage,
  poll: MessageUsage,
  assumptions: DrillAssumptions,
): DrillUsage {
  const invocations = [{ at: 0, usage: start }, ...polls.map((at) => ({ at, usage: poll }))];
  let previousAt = Number.NEGATIVE_INFINITY;
  let secretReadAt = Number.NEGATIVE_INFINITY;
  let coldStarts = 0;
  let secretsManagerCalls = 0;
  let billedMs = 0;
  let writes = 0;
  let reads = 0;
  let sends = 0;
  let logBytes = 0;
  for (const { at, usage } of invocations) {
    const cold = at - previousAt > assumptions.idleEnvironmentSeconds;
    if (cold) {
      coldStarts += 1;
      billedMs += assumptions.initMs;
      secretReadAt = Number.NEGATIVE_INFINITY;
    }
    if (at - secretReadAt >= assumptions.secretCacheSeconds) {
      secretsManagerCalls += 1;
      secretReadAt = at;
    }
    billedMs += Math.ceil(usage.durationMs * (assumptions.durationScale ?? 1));
    writes += usage.dynamodbWrites;
    reads += usage.dynamodbReads;
    sends += usage.sqsSends;
    logBytes += usage.logBytes + assumptions.platformLogBytesPerInvocation;
    previousAt = at;
  }
  // The schedule sends the request; each handled message is received and deleted once by the event source mapping.
  const messages = invocations.length;
  return {
    invocations: messages,
    coldStarts,
    billedGbSeconds: (billedMs / 1000) * (assumptions.memoryMb / 1024),
    sqsRequests: 1 + sends + 2 * messages,
    writeUnits:
      writes * writeUnits(assumptions.ledgerItemBytes) +
      (assumptions.indexProjection === 'ALL' ? writes * writeUnits(assumptions.ledgerItemBytes) : 1),
    readUnits: reads * readUnits(assumptions.ledgerItemBytes),
    secretsManagerCalls,
    logBytes,
  };
}

export interface CostLine {
  readonly item: string;
  readonly quantity: string;
  readonly usd: number;
}

export function priceDrill(usage: DrillUsage): { lines: CostLine[]; totalUsd: number } {
  const lines: CostLine[] = [
    {
      item: 'Lambda requests',
      quantity: `${usage.invocations} invocations`,
      usd: (usage.invocations / 1e6) * PRICES.lambda.perMillionRequests,
    },
    {
      item: 'Lambda duration (arm64)',
      quantity: `${usage.billedGbSeconds.toPrecision(3)} GB-s (${usage.coldStarts} cold)`,
      usd: usage.billedGbSeconds * PRICES.lambda.perGbSecondArm64,
    },
    {
      item: 'SQS requests',
      quantity: `${usage.sqsRequests} requests`,
      usd: (usage.sqsRequests / 1e6) * PRICES.sqs.perMillionRequests,
    },
    {
      item: 'DynamoDB writes (on-demand)',
      quantity: `${usage.writeUnits} WRU`,
      usd: (usage.writeUnits / 1e6) * PRICES.dynamodb.perMillionWriteRequestUnits,
    },
    {
      item: 'DynamoDB reads (on-demand)',
      quantity: `${usage.readUnits} RRU`,
      usd: (usage.readUnits / 1e6) * PRICES.dynamodb.perMillionReadRequestUnits,
    },
    {
      item: 'Secrets Manager API calls',
      quantity: `${usage.secretsManagerCalls} calls`,
      usd: (usage.secretsManagerCalls / 1e4) * PRICES.secretsManager.perTenThousandApiCalls,
    },
    {
      item: 'CloudWatch Logs ingestion',
      quantity: `${(usage.logBytes / 1024).toFixed(1)} KiB`,
      usd: (usage.logBytes / 1024 ** 3) * PRICES.cloudWatchLogs.perGbIngested,
    },
  ];
  return { lines, totalUsd: lines.reduce((total, line) => total + line.usd, 0) };
}

/**
 * The same drill as a Step Functions standard workflow calling Atlas with HTTP Tasks (OAuth connection), polling with
 * a Wait state whose seconds follow our cadence (a JSONata expression: no extra state):
 * GetSourceCluster → ListSnapshots → ChooseSnapshot (Choice) → GetTargetCluster → ListRestoreJobs → CheckBlockers
 * (Choice) → SubmitRestoreJob, then per poll Wait → GetRestoreJob → IsFinished (Choice), then RecordOutcome
 * (DynamoDB PutItem, the evidence our ledger keeps) → Succeed.
 */
export const STEP_FUNCTIONS_STATES = { start: 7, perPoll: 3, end: 2 } as const;

export function stepFunctionsTransitions(polls: number): number {
  return STEP_FUNCTIONS_STATES.start + STEP_FUNCTIONS_STATES.perPoll * polls + STEP_FUNCTIONS_STATES.end;
}

export function priceStepFunctions(transitions: number): number {
  return (transitions / 1000) * PRICES.stepFunctions.perThousandStateTransitions;
}
