import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DrillVerdict } from '../../../../functions/core/drills/judge.ts';
import { createDrillVerdictSink, DRILL_VERDICT_EVENT } from '../../../../functions/core/drills/verdict-sink.ts';

let lines: Record<string, unknown>[];
const eventBridge = mockClient(EventBridgeClient);

beforeEach(() => {
  lines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    return true;
  });
  eventBridge.reset();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const missed: DrillVerdict = {
  drill: 'weekly-prod',
  scheduledAt: Date.parse('2026-11-30T03:00:00Z'),
  runId: 'weekly-prod-2026-11-30T03:00:00Z',
  verdict: 'missed',
  reason: 'no restore was started for this run by its deadline',
  projectId: '5f1a2b3c4d5e6f7a8b9c0d1e',
  clusterName: 'prod',
  decidedAt: Date.parse('2026-11-30T18:15:00Z'),
  deadlineAt: Date.parse('2026-11-30T18:00:00Z'),
};

function sink() {
  return createDrillVerdictSink({
    eventBridge: new EventBridgeClient({ region: 'eu-west-1' }),
    eventBusName: 'operations',
    namespace: 'AtlasRestore',
    serviceName: 'atlas-restore-orchestrator',
  });
}

describe('Function: createDrillVerdictSink', () => {
  it('emits the verdict per drill, project and cluster, and puts one event on the configured bus', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    // Act
    await sink().publish(missed);

    // Assess
    expect(lines).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            expect.objectContaining({
              Namespace: 'AtlasRestore',
              Dimensions: [['service'], ['service', 'Drill', 'ProjectId', 'ClusterName']],
            }),
          ],
        }),
        Drill: 'weekly-prod',
        ProjectId: '5f1a2b3c4d5e6f7a8b9c0d1e',
        ClusterName: 'prod',
        DrillMissed: 1,
        DrillRunNotPassed: 1,
      }),
    ]);
    const [call] = eventBridge.commandCalls(PutEventsCommand);
    const entry = call?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: 'operations',
      Source: DRILL_VERDICT_EVENT.source,
      DetailType: 'Drill Verdict',
    });
    expect(JSON.parse(entry?.Detail ?? '')).toEqual({
      drill: 'weekly-prod',
      verdict: 'missed',
      reason: 'no restore was started for this run by its deadline',
      runId: 'weekly-prod-2026-11-30T03:00:00Z',
      scheduledAt: '2026-11-30T03:00:00Z',
      deadlineAt: '2026-11-30T18:00:00.000Z',
      decidedAt: '2026-11-30T18:15:00.000Z',
      projectId: '5f1a2b3c4d5e6f7a8b9c0d1e',
      clusterName: 'prod',
    });
  });

  it('emits 0 on DrillRunNotPassed for a passed run, so the drill alarm clears', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });

    // Act
    await sink().publish({ ...missed, verdict: 'passed', outcome: 'succeeded' });

    // Assess
    expect(lines[0]).toMatchObject({ DrillPassed: 1, DrillRunNotPassed: 0 });
  });

  it('fails when EventBridge refuses the event, so the verdict is told again next pass', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }] });

    // Act
    const act = sink().publish(missed);

    // Assess
    await expect(act).rejects.toThrow(/refused the drill verdict event: AccessDeniedException/);
  });
});
