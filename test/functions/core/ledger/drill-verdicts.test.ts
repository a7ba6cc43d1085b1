import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_DEADLINE_MARGIN_MINUTES, judgeDrills } from '../../../../functions/core/drills/judge.ts';
import { createDynamoDbDrillVerdicts } from '../../../../functions/core/ledger/drill-verdicts.ts';
import { createDynamoDbLedger } from '../../../../functions/core/ledger/dynamodb-ledger.ts';
import type { Ledger } from '../../../../functions/core/workflow/ports.ts';
import { type LocalAws, startLocalAws } from '../../../support/local-aws.ts';
import { fixture, RecordingLog, requests } from '../workflow/fakes.ts';
import { runRequest } from '../workflow/harness.ts';

let aws: LocalAws;
let ledger: Ledger;

beforeAll(async () => {
  aws = await startLocalAws();
  ledger = createDynamoDbLedger({ client: aws.dynamodb, tableName: aws.tableName });
});

afterAll(async () => {
  await aws?.stop();
});

describe('DynamoDB drill verdicts (dynalite)', () => {
  it('records each run once beside the operations, which the listing keeps apart', async () => {
    // Prepare
    const verdicts = createDynamoDbDrillVerdicts({ client: aws.dynamodb, tableName: aws.tableName, retentionDays: 30 });
    const f = fixture({ deps: { ledger } });
    const name = `weekly-${randomBytes(3).toString('hex')}`;
    const { requestId: _set, ...request } = requests.automated();
    const weekly = { name, expression: 'cron(0 3 ? * MON *)', timeZone: 'UTC', maxWaitMinutes: 60, request };
    const deps = {
      ledger,
      verdicts,
      sink: { publish: async () => undefined },
      clock: f.clock,
      log: new RecordingLog(),
    };
    f.clock.set(Date.parse('2026-11-29T00:00:00Z'));
    await judgeDrills([weekly], deps);
    const first = Date.parse('2026-11-30T03:00:00Z');
    f.clock.set(first);
    await runRequest(f, { ...request, requestId: `${name}-2026-11-30T03:00:00Z` });

    // Act: the second Monday's run never starts.
    const pastDeadline = (60 + DRILL_DEADLINE_MARGIN_MINUTES + 1) * 60_000;
    f.clock.set(first + pastDeadline);
    const decided = await judgeDrills([weekly], deps);
    f.clock.set(Date.parse('2026-12-07T03:00:00Z') + pastDeadline);
    decided.push(...(await judgeDrills([weekly], deps)));
    const again = await judgeDrills([weekly], deps);

    // Assess
    expect(decided.map((verdict) => [verdict.runId, verdict.verdict])).toEqual([
      [`${name}-2026-11-30T03:00:00Z`, 'passed'],
      [`${name}-2026-12-07T03:00:00Z`, 'missed'],
    ]);
    expect(again).toEqual([]);
    expect(await verdicts.getVerdict(name, first)).toEqual(decided[0]);
    expect(await verdicts.drillSince(weekly, f.clock.now())).toBe(Date.parse('2026-11-29T00:00:00Z'));
    const listed = await ledger.listOperations({ limit: 1000 });
    expect(listed.every((operation) => !operation.operationId.startsWith('drill#'))).toBe(true);
  });
});
