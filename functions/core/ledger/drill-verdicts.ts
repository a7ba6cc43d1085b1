import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import type { DrillVerdict, DrillVerdictStore } from '../drills/judge.ts';
import { attribute, type Scalar } from './expression.ts';
import { iso } from './item.ts';

/**
 * Drill verdicts in the operation ledger's table, beside the operations (whose `op#` listing never sees them):
 * - `drill#<name>#<scheduled time>`: one verdict per run, put once (`attribute_not_exists(pk)`), with a TTL like
 *   the operations'. Drill names have no `#`, so a run's key never collides with another drill's.
 * - `drill#<name>`: when the drill, with its expression and time zone, was first seen: runs before it are not judged.
 */
const DRILL_KEY_PREFIX = 'drill#';

export interface DynamoDbDrillVerdictsOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Days a verdict is kept (the ledger's retention). */
  readonly retentionDays: number;
}

const key = (value: string): Record<string, AttributeValue> => ({ pk: { S: `${DRILL_KEY_PREFIX}${value}` } });
const runKey = (drill: string, scheduledAt: number) => key(`${drill}#${iso(scheduledAt)}`);

const time = z.iso.datetime().transform((value) => Date.parse(value));
const storedVerdict = z.object({
  drill: z.string(),
  scheduledAt: time,
  runId: z.string(),
  verdict: z.enum(['passed', 'failed', 'missed']),
  reason: z.string(),
  projectId: z.string(),
  clusterName: z.string(),
  outcome: z.string().optional(),
  decidedAt: time,
  deadlineAt: time,
});

const plain = (item: Record<string, AttributeValue>) =>
  Object.fromEntries(Object.entries(item).map(([name, value]) => [name, value.S ?? value.N ?? value.BOOL]));

export function createDynamoDbDrillVerdicts({
  client,
  tableName,
  retentionDays,
}: DynamoDbDrillVerdictsOptions): DrillVerdictStore {
  async function read(pk: Record<string, AttributeValue>) {
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: pk, ConsistentRead: true }));
    return Item;
  }

  return {
    async getVerdict(drill, scheduledAt) {
      const item = await read(runKey(drill, scheduledAt));
      if (item === undefined) return undefined;
      const { outcome, ...verdict } = storedVerdict.parse(plain(item));
      return { ...verdict, ...(outcome === undefined ? {} : { outcome }) };
    },

    async recordVerdict(verdict: DrillVerdict) {
      const fields: Record<string, Scalar | undefined> = {
        ...verdict,
        scheduledAt: iso(verdict.scheduledAt),
        decidedAt: iso(verdict.decidedAt),
        deadlineAt: iso(verdict.deadlineAt),
        expiresAt: Math.ceil(verdict.decidedAt / 1000) + retentionDays * 86_400,
      };
      const item: Record<string, AttributeValue> = { ...runKey(verdict.drill, verdict.scheduledAt) };
      for (const [name, value] of Object.entries(fields)) if (value !== undefined) item[name] = attribute(value);
      try {
        await client.send(
          new PutItemCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async drillSince(drill, now) {
      const known = await read(key(drill.name));
      if (known?.expression?.S === drill.expression && known.timeZone?.S === drill.timeZone && known.since?.S) {
        return Date.parse(known.since.S);
      }
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...key(drill.name),
              expression: { S: drill.expression },
              timeZone: { S: drill.timeZone },
              since: { S: iso(now) },
            },
            // Replaces only what was read: two judges at once agree on one start.
            ...(known === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: '#since = :since',
                  ExpressionAttributeNames: { '#since': 'since' },
                  ExpressionAttributeValues: { ':since': known.since ?? { S: '' } },
                }),
          }),
        );
        return now;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const winner = await read(key(drill.name));
        return winner?.since?.S ? Date.parse(winner.since.S) : now;
      }
    },
  };
}
