/**
 * AWS list prices, us-east-1, USD, without free tiers or savings plans.
 *
 * As published on the AWS pricing pages in 2025; the latest changes they include are DynamoDB's on-demand cut of
 * 2024-11-01 and Lambda's billing of the INIT phase for on-demand ZIP functions from 2025-08-01. Taken on 2025-08-01
 * and not re-checked by the bench (it runs offline): check the pricing pages before quoting a figure.
 */
export const PRICES_AS_OF = '2025-08-01';

export const PRICES = {
  lambda: {
    /** Arm (Graviton), first 7.5 billion GB-s per month. */
    perGbSecondArm64: 0.000_013_333_4,
    perMillionRequests: 0.2,
  },
  sqs: {
    /** Standard queue; each 64 KB chunk of a payload is one request. */
    perMillionRequests: 0.4,
  },
  dynamodb: {
    /** On-demand, Standard table class. One WRU writes 1 KB; one RRU reads 4 KB strongly consistent. */
    perMillionWriteRequestUnits: 0.625,
    perMillionReadRequestUnits: 0.125,
  },
  secretsManager: {
    perTenThousandApiCalls: 0.05,
    perSecretMonth: 0.4,
  },
  stepFunctions: {
    /** Standard workflows. */
    perThousandStateTransitions: 0.025,
  },
  cloudWatchLogs: {
    /** Standard log class ingestion. */
    perGbIngested: 0.5,
  },
} as const;
