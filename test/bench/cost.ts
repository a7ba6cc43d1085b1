import { SECRET_CACHE_TTL_MS } from '../../functions/core/credentials/secrets-manager.ts';
import type { OrchestratorConfig } from '../../infra/config.ts';
import { BY_CLUSTER_PROJECTION } from '../../infra/constructs/operation-ledger.ts';
import {
  type DrillAssumptions,
  type MessageUsage,
  ourDrillUsage,
  priceDrill,
  priceStepFunctions,
  STEP_FUNCTIONS_STATES,
  stepFunctionsTransitions,
  writeUnits,
} from './cost-model.ts';
import type { PollingFigures } from './polling.ts';
import { RESTORE_DURATIONS } from './polling.ts';
import { PRICES, PRICES_AS_OF } from './prices.ts';
import { format, type SectionResult } from './report.ts';
import type { MessageCost, WarmCostFigures } from './warm-cost.ts';

/**
 * Lambda does not document how long an idle execution environment lives; it is observed between about 5 and 15 min.
 * The low end: more cold starts, so a higher (safer) estimate.
 */
const IDLE_ENVIRONMENT_SECONDS = 300;
const SECRET_CACHE_SECONDS = SECRET_CACHE_TTL_MS / 1000;
/** Lambda's START, END and REPORT lines (text format) per invocation, about this many bytes. */
const PLATFORM_LOG_BYTES = 330;

export interface CostInputs {
  readonly warm: WarmCostFigures;
  readonly polling: PollingFigures;
  /** Median local cold init (process start to handler ready), ms; undefined when section 1 did not run. */
  readonly initMs: number | undefined;
  /** The deployment (memory size). */
  readonly config: OrchestratorConfig;
}

function usageOf(cost: MessageCost): MessageUsage {
  const count = (operation: string) => cost.aws[operation] ?? 0;
  return {
    durationMs: cost.handler.latencyMs.p50,
    dynamodbWrites: count('PutItem') + count('UpdateItem') + count('DeleteItem'),
    dynamodbReads: count('GetItem') + count('Query'),
    sqsSends: count('SendMessage'),
    logBytes: cost.logBytes,
  };
}

/** Section 5: the bill of one drill from the measured invocations, beside a Step Functions standard workflow. */
export async function measureCost(
  inputs: CostInputs,
): Promise<Omit<SectionResult & { status: 'measured' }, 'seconds'>> {
  const { config } = inputs;
  const assumptions: DrillAssumptions = {
    memoryMb: config.memorySize,
    initMs: inputs.initMs ?? 0,
    idleEnvironmentSeconds: IDLE_ENVIRONMENT_SECONDS,
    secretCacheSeconds: SECRET_CACHE_SECONDS,
    ledgerItemBytes: inputs.warm.ledgerItemBytes,
    indexProjection: BY_CLUSTER_PROJECTION,
    platformLogBytesPerInvocation: PLATFORM_LOG_BYTES,
  };
  const start = usageOf(inputs.warm.start);
  const poll = usageOf(inputs.warm.poll);

  const drills = RESTORE_DURATIONS.map((duration) => {
    const polls = inputs.polling.ourPolls[duration.label] ?? [];
    const usage = ourDrillUsage(polls, start, poll, assumptions);
    const priced = priceDrill(usage);
    const transitions = stepFunctionsTransitions(polls.length);
    const stepFunctionsUsd =
      priceStepFunctions(transitions) +
      (writeUnits(assumptions.ledgerItemBytes) / 1e6) * PRICES.dynamodb.perMillionWriteRequestUnits;
    return { restore: duration.label, polls: polls.length, usage, ...priced, transitions, stepFunctionsUsd };
  });
  const hour = drills.find((drill) => drill.restore === '1 h') ?? drills[0];
  const hourPolls = inputs.polling.ourPolls['1 h'] ?? [];
  const whatIf = (label: string, changes: Partial<DrillAssumptions>, extra: { pollWrites?: number } = {}) => {
    const pollAsIf = { ...poll, dynamodbWrites: poll.dynamodbWrites + (extra.pollWrites ?? 0) };
    const { totalUsd } = priceDrill(ourDrillUsage(hourPolls, start, pollAsIf, { ...assumptions, ...changes }));
    return [label, format.usd(totalUsd), format.ratio(totalUsd / (hour?.totalUsd ?? Number.NaN))];
  };

  return {
    section: '5. Cost per drill',
    status: 'measured',
    data: { assumptions, pricesAsOf: PRICES_AS_OF, prices: PRICES, drills },
    tables: [
      {
        title: `One drill, per restore duration (list prices us-east-1 of ${PRICES_AS_OF}, no free tier)`,
        columns: ['restore', 'polls', 'invocations', 'ours', 'Step Functions standard', 'transitions', 'SFN / ours'],
        rows: drills.map((drill) => [
          drill.restore,
          format.int(drill.polls),
          `${drill.usage.invocations} (${drill.usage.coldStarts} cold)`,
          format.usd(drill.totalUsd),
          format.usd(drill.stepFunctionsUsd),
          format.int(drill.transitions),
          format.ratio(drill.stepFunctionsUsd / drill.totalUsd),
        ]),
      },
      {
        title: `Where the money goes: a ${hour?.restore ?? ''} restore`,
        columns: ['item', 'quantity', 'USD', 'share'],
        rows: (hour?.lines ?? []).map((line) => [
          line.item,
          line.quantity,
          format.usd(line.usd),
          `${((line.usd / (hour?.totalUsd ?? Number.NaN)) * 100).toFixed(0)} %`,
        ]),
      },
      {
        title: `What would change the bill of a ${hour?.restore ?? ''} restore`,
        columns: ['assumption', 'per drill', 'vs as deployed'],
        rows: [
          whatIf('as deployed (measured)', {}),
          whatIf('secret cached 5 min instead of 1 h', { secretCacheSeconds: 300 }),
          whatIf('byCluster index ALL instead of KEYS_ONLY (before issue 17)', { indexProjection: 'ALL' }),
          whatIf('polls written twice, advance then handed-off mark (before issue 17)', {}, { pollWrites: 1 }),
          whatIf('both, as before issue 17', { indexProjection: 'ALL' }, { pollWrites: 1 }),
          whatIf('every invocation 10× longer (slow CPU, real network)', {
            initMs: assumptions.initMs * 10,
            durationScale: 10,
          }),
        ],
      },
    ],
    notes: [
      `What-if rows change one assumption of the same model: the secret cache (functions/core/credentials/secrets-manager.ts keeps it ${SECRET_CACHE_SECONDS / 60} min; an auth failure invalidates it anyway), the index projection (KEYS_ONLY: no index write when an update leaves the keys alone), the poll's ledger writes (since issue 17 a poll sends first and its one advance marks the message sent), and duration (deployed CPU is slower than this machine).`,
      `Lambda: arm64, ${config.memorySize} MB (cdk.json), billed duration = the measured p50 latency of each message (start ${format.ms(start.durationMs)}, poll ${format.ms(poll.durationMs)}), rounded up to the ms; INIT is billed since 2025-08-01: ${inputs.initMs === undefined ? 'not included (section 1 did not run)' : `${format.ms(inputs.initMs)} per cold start (section 1, local)`}. An invocation more than ${IDLE_ENVIRONMENT_SECONDS / 60} min after the previous one is assumed cold.`,
      `Local durations are a floor: at ${config.memorySize} MB a function gets about ${((config.memorySize / 1769) * 100).toFixed(0)} % of a vCPU and real Atlas calls take tens of ms, so deployed durations are several times longer. Even 10× the duration keeps it far below the Step Functions figure.`,
      `DynamoDB: ${format.int(assumptions.ledgerItemBytes)}-byte item → ${writeUnits(assumptions.ledgerItemBytes)} WRU a write; the byCluster index projects ${assumptions.indexProjection} (infra/constructs/operation-ledger.ts), so ${assumptions.indexProjection === 'ALL' ? 'each write rewrites the index entry too' : 'only the put that creates an operation writes the index (1 WRU); updates leave its keys alone'}. SQS: every message is sent, received and deleted once (the event source mapping's empty long polls are a fixed monthly cost, not per drill).`,
      `Step Functions: ${STEP_FUNCTIONS_STATES.start} states to start, ${STEP_FUNCTIONS_STATES.perPoll} per poll (Wait, HTTP Task, Choice), ${STEP_FUNCTIONS_STATES.end} to end, for the same poll count, plus one DynamoDB write of the outcome; HTTP Tasks only take service-account (OAuth) credentials, not API keys (digest).`,
      `Fixed monthly costs, not per drill: the secret (${format.usd(PRICES.secretsManager.perSecretMonth)}/month), EMF custom metrics (per metric and ClusterName), log storage.`,
    ],
  };
}
