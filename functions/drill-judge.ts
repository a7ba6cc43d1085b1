/**
 * The drill judge's Lambda entry point, invoked by its own schedule with `{ drills: [...] }` (the stack's drill
 * schedules): records a verdict for every drill run that has one due, even when the run's restore chain died.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import * as z from 'zod';
import { judgeDrills, judgeEventSchema } from './core/drills/judge.ts';
import { createDrillVerdictSink } from './core/drills/verdict-sink.ts';
import { parseLambdaEnvironment } from './core/lambda-environment.ts';
import { createDynamoDbDrillVerdicts } from './core/ledger/drill-verdicts.ts';
import { createDynamoDbLedger } from './core/ledger/dynamodb-ledger.ts';
import { createLogger } from './core/reporting/logger.ts';
import { systemClock } from './core/workflow/ports.ts';

const logger = createLogger();

const environment = z.object({
  LEDGER_TABLE_NAME: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
  LEDGER_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650),
  DRILL_EVENT_BUS_NAME: z.string().min(1).default('default'),
});
const env = parseLambdaEnvironment(environment, process.env);

const dynamodb = new DynamoDBClient({});
const ledger = createDynamoDbLedger({ client: dynamodb, tableName: env.LEDGER_TABLE_NAME });
const verdicts = createDynamoDbDrillVerdicts({
  client: dynamodb,
  tableName: env.LEDGER_TABLE_NAME,
  retentionDays: env.LEDGER_RETENTION_DAYS,
});
const sink = createDrillVerdictSink({ eventBridge: new EventBridgeClient({}), eventBusName: env.DRILL_EVENT_BUS_NAME });

export async function handler(event: unknown): Promise<{ verdicts: number }> {
  const parsed = judgeEventSchema.safeParse(event);
  if (!parsed.success) {
    logger.error('drill judge event is invalid', { issues: z.prettifyError(parsed.error) });
    throw new Error(`Invalid drill judge event: ${z.prettifyError(parsed.error)}`);
  }
  const decided = await judgeDrills(parsed.data.drills, { ledger, verdicts, sink, clock: systemClock, log: logger });
  return { verdicts: decided.length };
}
