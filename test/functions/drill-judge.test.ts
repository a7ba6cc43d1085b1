import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

/**
 * The judge's deployed entry point (functions/drill-judge.ts, configured from its environment) on dynalite, with
 * EventBridge mocked: the schedule's input is validated, and a run that never started is told and recorded as missed.
 */
type Handler = (event: unknown) => Promise<{ verdicts: number }>;

describe('Lambda entry: functions/drill-judge.ts', () => {
  let aws: LocalAws;
  let handler: Handler;
  const eventBridge = mockClient(EventBridgeClient);
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    aws = await startLocalAws({ prefix: 'judge' });
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: aws.dynamodbEndpoint,
      LEDGER_TABLE_NAME: aws.tableName,
      LEDGER_RETENTION_DAYS: '30',
      DRILL_EVENT_BUS_NAME: 'operations',
    });
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    handler = (await import('../../functions/drill-judge.ts')).handler as Handler;
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    process.env = savedEnv;
    await aws.stop();
  });

  const drills = [
    {
      name: 'hourly-prod',
      expression: 'rate(1 hour)',
      timeZone: 'UTC',
      maxWaitMinutes: 1,
      request: { groupId: '5f1a2b3c4d5e6f7a8b9c0d1e', clusterName: 'prod', deliveryType: 'download' },
    },
  ];

  it('refuses an input that is not a list of drills', async () => {
    await expect(handler({ drills: [{ name: 'x' }] })).rejects.toThrow(/Invalid drill judge event/);
  });

  it('records a missed verdict for a run that never started, and tells it on the configured bus', async () => {
    // Prepare: the first pass marks when the drill was first seen; its first run is due an hour later.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-11-30T00:00:00Z') });
    await handler({ drills });

    // Act
    vi.setSystemTime(Date.parse('2026-11-30T04:30:00Z'));
    const answer = await handler({ drills });
    vi.useRealTimers();

    // Assess
    expect(answer.verdicts).toBe(1);
    const events = eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.[0]);
    expect(events).toEqual([expect.objectContaining({ EventBusName: 'operations', DetailType: 'Drill Verdict' })]);
    expect(JSON.parse(events[0]?.Detail ?? '')).toMatchObject({
      drill: 'hourly-prod',
      verdict: 'missed',
      scheduledAt: '2026-11-30T01:00:00Z',
    });
  });
});
