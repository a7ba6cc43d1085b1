import { describe, expect, it } from 'vitest';
import type { RestoreRequest } from '../../../../functions/core/contract/restore-request.ts';
import {
  DRILL_DEADLINE_MARGIN_MINUTES,
  type DrillDefinition,
  type DrillVerdict,
  InMemoryDrillVerdicts,
  judgeDrills,
} from '../../../../functions/core/drills/judge.ts';
import { scheduledTimeText } from '../../../../functions/core/drills/schedule-expression.ts';
import { createRestoreService } from '../../../../functions/core/workflow/service.ts';
import {
  type Fixture,
  fixture,
  GROUP,
  ManualClock,
  RecordingLog,
  requests,
  SOURCE,
  TARGET,
} from '../workflow/fakes.ts';
import { drain, runRequest } from '../workflow/harness.ts';
import { FakeVerifier } from '../workflow/verifier-fake.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const OTHER_GROUP = '6a1b2c3d4e5f6a7b8c9d0e1f';

/** A drill as the judge's schedule sends it: the configuration's request, without requestId. */
function drill(name: string, expression: string, overrides: Partial<DrillDefinition> = {}): DrillDefinition {
  const { requestId: _set, ...request } = requests.automated();
  return { name, expression, timeZone: 'UTC', maxWaitMinutes: 720, request, ...overrides };
}

function judge(f: Fixture, verdicts: InMemoryDrillVerdicts, published: DrillVerdict[] = []) {
  return (drills: readonly DrillDefinition[]) =>
    judgeDrills(drills, {
      ledger: f.ledger,
      verdicts,
      sink: { publish: async (verdict) => void published.push(verdict) },
      clock: f.clock,
      log: new RecordingLog(),
    });
}

/** What the drill's schedule sends at `scheduledAt`: its request, with the requestId Scheduler derives. */
function scheduledRequest(d: DrillDefinition, scheduledAt: number): RestoreRequest {
  return { ...d.request, requestId: `${d.name}-${scheduledTimeText(scheduledAt)}` } as RestoreRequest;
}

const deadline = (d: DrillDefinition, scheduledAt: number) =>
  scheduledAt + (d.maxWaitMinutes + DRILL_DEADLINE_MARGIN_MINUTES) * MINUTE;

describe('Function: judgeDrills', () => {
  it('passes only the verdict of the drill run that succeeded', async () => {
    // Prepare
    const f = fixture();
    f.clock.set(Date.parse('2026-11-29T00:00:00Z'));
    const verdicts = new InMemoryDrillVerdicts();
    const weekly = drill('prod-weekly', 'cron(0 3 ? * MON *)');
    const daily = drill('prod-daily', 'cron(0 4 * * ? *)');
    const elsewhere = drill('other-weekly', 'cron(0 3 ? * MON *)', {
      request: { ...weekly.request, groupId: OTHER_GROUP },
    });
    const drills = [weekly, daily, elsewhere];
    await judge(f, verdicts)(drills);
    const monday = Date.parse('2026-11-30T03:00:00Z');
    f.clock.set(monday);

    // Act
    await runRequest(f, scheduledRequest(weekly, monday));
    f.clock.set(monday + 26 * HOUR);
    const decided = await judge(f, verdicts)(drills);

    // Assess
    expect(decided.filter((verdict) => verdict.verdict === 'passed')).toEqual([
      expect.objectContaining({ drill: 'prod-weekly', runId: 'prod-weekly-2026-11-30T03:00:00Z', projectId: GROUP }),
    ]);
    // The same cluster's other drill, and the same-named cluster's drill in another project, are judged on their own.
    expect(
      decided.filter((verdict) => verdict.drill !== 'prod-weekly').map((verdict) => [verdict.runId, verdict.verdict]),
    ).toEqual([
      ['prod-daily-2026-11-30T04:00:00Z', 'missed'],
      ['other-weekly-2026-11-30T03:00:00Z', 'missed'],
    ]);
  });

  it('lets no ad-hoc restore of a same-named cluster, nor a request posing under the drill id, pass a drill', async () => {
    // Prepare
    const f = fixture({ config: { allowedTargets: [`${GROUP}/${TARGET}`, `${GROUP}/other-target`] } });
    f.clock.set(Date.parse('2026-11-29T00:00:00Z'));
    const verdicts = new InMemoryDrillVerdicts();
    const weekly = drill('prod-weekly', 'cron(0 3 ? * MON *)');
    const elsewhere = drill('other-weekly', 'cron(0 3 ? * MON *)', {
      request: { ...weekly.request, groupId: OTHER_GROUP },
    });
    await judge(f, verdicts)([weekly, elsewhere]);
    const monday = Date.parse('2026-11-30T03:00:00Z');
    f.clock.set(monday);

    // Act: an operator's restore of prod, and one that takes the drill's id with another target.
    await runRequest(f, requests.automated({ requestId: 'adhoc-restore-1' }));
    await runRequest(f, {
      ...scheduledRequest(weekly, monday),
      targetClusterName: 'other-target',
    });
    f.clock.set(deadline(weekly, monday) + 15 * MINUTE);
    const decided = await judge(f, verdicts)([weekly, elsewhere]);

    // Assess
    expect(f.ledger.items.get('adhoc-restore-1')?.outcome).toBe('succeeded');
    expect(decided.filter((verdict) => verdict.verdict === 'passed')).toEqual([]);
    expect(decided.map((verdict) => [verdict.drill, verdict.verdict])).toEqual([
      ['prod-weekly', 'failed'],
      ['other-weekly', 'missed'],
    ]);
  });

  it('marks a run whose chain died as missed once its deadline passes, and only then', async () => {
    // Prepare
    const f = fixture();
    f.clock.set(Date.parse('2026-11-29T00:00:00Z'));
    const verdicts = new InMemoryDrillVerdicts();
    const published: DrillVerdict[] = [];
    const weekly = drill('prod-weekly', 'cron(0 3 ? * MON *)', { maxWaitMinutes: 120 });
    await judge(f, verdicts, published)([weekly]);
    const monday = Date.parse('2026-11-30T03:00:00Z');
    f.clock.set(monday);
    // The first step runs (the operation is created and submitted), then the chain dies: its next message is lost.
    f.queue.put(JSON.stringify(scheduledRequest(weekly, monday)));
    const service = createRestoreService(f.deps);
    const first = f.queue.takeNext();
    if (!first) throw new Error('no message');
    await service.handleMessage(first.body, { messageId: first.id }, { deadline: Date.now() + 60_000 });
    f.queue.messages.length = 0;

    // Act
    f.clock.set(deadline(weekly, monday) - MINUTE);
    const beforeDeadline = await judge(f, verdicts, published)([weekly]);
    f.clock.set(deadline(weekly, monday) + 15 * MINUTE);
    const afterDeadline = await judge(f, verdicts, published)([weekly]);
    const again = await judge(f, verdicts, published)([weekly]);

    // Assess
    expect(f.ledger.items.get('prod-weekly-2026-11-30T03:00:00Z')?.outcome).toBeUndefined();
    expect(beforeDeadline).toEqual([]);
    expect(afterDeadline).toEqual([
      expect.objectContaining({
        runId: 'prod-weekly-2026-11-30T03:00:00Z',
        verdict: 'missed',
        reason: expect.stringMatching(/no outcome by the run's deadline/),
      }),
    ]);
    expect(again).toEqual([]);
    expect(published).toHaveLength(1);
  });

  it('judges monthly and quarterly drills, every run once', async () => {
    // Prepare
    const f = fixture();
    const start = Date.parse('2027-01-01T00:00:00Z');
    f.clock.set(start);
    const verdicts = new InMemoryDrillVerdicts();
    const monthly = drill('prod-monthly', 'cron(0 3 L * ? *)');
    const quarterly = drill('prod-quarterly', 'cron(0 5 1 1/3 ? *)');
    const skipped = Date.parse('2027-05-31T03:00:00Z');
    const due = [
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((month) => ({
        d: monthly,
        at: Date.UTC(2027, month, 0, 3),
      })),
      ...[0, 3, 6, 9].map((month) => ({ d: quarterly, at: Date.UTC(2027, month, 1, 5) })),
    ].sort((a, b) => a.at - b.at);
    const decided: DrillVerdict[] = [];
    await judge(f, verdicts)([monthly, quarterly]);

    // Act: the year, judged every 6 hours; each run's restore starts at its scheduled time, but May's never does.
    for (let now = start + 6 * HOUR; now <= Date.parse('2027-12-01T00:00:00Z'); now += 6 * HOUR) {
      for (const run of due.filter((r) => r.at <= now && r.at > now - 6 * HOUR && r.at !== skipped)) {
        f.clock.set(run.at);
        await runRequest(f, scheduledRequest(run.d, run.at));
      }
      f.clock.set(now);
      decided.push(...(await judge(f, verdicts)([monthly, quarterly])));
    }

    // Assess
    const summary = (name: string) => decided.filter((v) => v.drill === name).map((v) => v.verdict);
    expect(summary('prod-monthly')).toEqual([...Array(4).fill('passed'), 'missed', ...Array(6).fill('passed')]);
    expect(summary('prod-quarterly')).toEqual(['passed', 'passed', 'passed', 'passed']);
    expect(decided.find((v) => v.verdict === 'missed')?.runId).toBe('prod-monthly-2027-05-31T03:00:00Z');
  });

  it('places a rate drill from its runs in the ledger, and marks a run missing between two as missed', async () => {
    // Prepare: the schedule was created at 23:50 (the stack does not record it), the judge first sees it at 00:00.
    const f = fixture();
    f.clock.set(Date.parse('2026-11-29T00:00:00Z'));
    const verdicts = new InMemoryDrillVerdicts();
    const sixHourly = drill('prod-6h', 'rate(6 hours)');
    await judge(f, verdicts)([sixHourly]);
    const decided: DrillVerdict[] = [];

    // Act: runs at 05:50 and 17:50 start; the 11:50 one never does.
    for (const at of ['2026-11-29T05:50:00Z', '2026-11-29T17:50:00Z'].map(Date.parse)) {
      f.clock.set(at);
      await runRequest(f, scheduledRequest(sixHourly, at));
      f.clock.set(at + 16 * HOUR);
      decided.push(...(await judge(f, verdicts)([sixHourly])));
    }

    // Assess
    expect(decided.map((verdict) => [verdict.runId, verdict.verdict])).toEqual([
      ['prod-6h-2026-11-29T05:50:00Z', 'passed'],
      ['prod-6h-2026-11-29T11:50:00Z', 'missed'],
      ['prod-6h-2026-11-29T17:50:00Z', 'passed'],
    ]);
  });

  it('raises nothing in a week where the clocks change (DST), in spring or in autumn', async () => {
    // Prepare: Sundays at 02:30 in Paris. The times Scheduler invokes, per its documented rules: 2027-03-28 02:30
    // does not exist (skipped); 2027-10-31 02:30 happens twice (runs once, at the first).
    const f = fixture();
    const verdicts = new InMemoryDrillVerdicts();
    const sunday = drill('prod-sunday', 'cron(30 2 ? * SUN *)', { timeZone: 'Europe/Paris' });
    const invoked = [
      '2027-03-14T01:30:00Z',
      '2027-03-21T01:30:00Z',
      '2027-04-04T00:30:00Z',
      '2027-04-11T00:30:00Z',
      '2027-10-17T00:30:00Z',
      '2027-10-24T00:30:00Z',
      '2027-10-31T00:30:00Z',
      '2027-11-07T01:30:00Z',
    ].map(Date.parse);
    const decided: DrillVerdict[] = [];

    // Act
    for (const [from, to] of [
      ['2027-03-10T00:00:00Z', '2027-04-14T00:00:00Z'],
      ['2027-10-13T00:00:00Z', '2027-11-10T00:00:00Z'],
    ].map(([a, b]) => [Date.parse(a ?? ''), Date.parse(b ?? '')] as const)) {
      f.clock.set(from);
      await judge(f, verdicts)([sunday]);
      for (let now = from + HOUR; now <= to; now += HOUR) {
        for (const at of invoked.filter((time) => time <= now && time > now - HOUR)) {
          f.clock.set(at);
          await runRequest(f, scheduledRequest(sunday, at));
        }
        f.clock.set(now);
        decided.push(...(await judge(f, verdicts)([sunday])));
      }
    }

    // Assess
    expect(decided.map((verdict) => verdict.verdict)).toEqual(Array(invoked.length).fill('passed'));
    expect(decided.map((verdict) => verdict.scheduledAt)).toEqual(invoked);
  });
});

describe('Function: judgeDrills, for a verified drill', () => {
  const monday = Date.parse('2026-11-30T03:00:00Z');

  async function verifiedRun(script: (verifier: FakeVerifier) => void) {
    const f = fixture({ config: { verifyMaxMinutes: 10 } });
    const verifier = new FakeVerifier(f.clock);
    script(verifier);
    const verified = drill('prod-verified', 'cron(0 3 ? * MON *)', {
      request: { ...requests.automated(), verify: {} } as DrillDefinition['request'],
    });
    const { requestId: _set, ...request } = verified.request as RestoreRequest;
    const d = { ...verified, request } as DrillDefinition;
    f.clock.set(monday - HOUR);
    const verdicts = new InMemoryDrillVerdicts();
    await judge(f, verdicts)([d]);
    f.clock.set(monday);
    f.queue.put(JSON.stringify(scheduledRequest(d, monday)));
    await drain(
      f,
      createRestoreService({ ...f.deps, ledger: verifier.observe(f.ledger), verificationQueue: verifier }),
    );
    f.clock.set(monday + 26 * HOUR);
    return judge(f, verdicts)([d]);
  }

  it('passes when the restore succeeded and the verification passed', async () => {
    // Act
    const decided = await verifiedRun(() => {});

    // Assess
    expect(decided).toMatchObject([
      { verdict: 'passed', outcome: 'succeeded', reason: "the drill's restore succeeded and its verification passed" },
    ]);
  });

  it('fails a succeeded restore whose verification failed, naming the failing checks', async () => {
    // Act
    const decided = await verifiedRun((verifier) => {
      verifier.checks = [
        { name: 'heartbeat-rpo', verdict: 'pass', reason: 'newest heartbeat 42 s before the snapshot' },
        { name: 'collection:shop.orders', verdict: 'fail', reason: 'missing on the target' },
      ];
    });

    // Assess
    expect(decided).toMatchObject([
      {
        verdict: 'failed',
        outcome: 'succeeded',
        reason: 'verification failed: collection:shop.orders (missing on the target)',
      },
    ]);
  });

  it('fails a succeeded restore whose verification is unknown, saying why (never a silent pass)', async () => {
    // Act
    const decided = await verifiedRun((verifier) => {
      verifier.checks = 'never';
    });

    // Assess
    expect(decided).toMatchObject([
      {
        verdict: 'failed',
        reason: 'verification unknown: verifier (the verifier did not answer within 10 minutes)',
      },
    ]);
  });
});

describe('Class: InMemoryDrillVerdicts', () => {
  it('starts judging a drill when its expression is first seen, and again when it changes', async () => {
    const store = new InMemoryDrillVerdicts();
    const clock = new ManualClock();
    const weekly = drill('prod-weekly', 'cron(0 3 ? * MON *)');
    expect(await store.drillSince(weekly, clock.now())).toBe(clock.now());
    expect(await store.drillSince(weekly, clock.now() + HOUR)).toBe(clock.now());
    expect(await store.drillSince({ ...weekly, expression: 'cron(0 4 ? * MON *)' }, clock.now() + HOUR)).toBe(
      clock.now() + HOUR,
    );
    expect(SOURCE).toBe(weekly.request.clusterName);
  });
});

describe('Function: judgeDrills, when telling a verdict fails', () => {
  it('still judges the other drills, then fails the pass; the untold verdict is told next pass', async () => {
    // Prepare
    const f = fixture();
    f.clock.set(Date.parse('2026-11-29T00:00:00Z'));
    const verdicts = new InMemoryDrillVerdicts();
    const broken = drill('broken-weekly', 'cron(0 3 ? * MON *)');
    const healthy = drill('healthy-weekly', 'cron(0 3 ? * MON *)');
    await judge(f, verdicts)([broken, healthy]);
    f.clock.set(deadline(healthy, Date.parse('2026-11-30T03:00:00Z')) + MINUTE);
    const told: DrillVerdict[] = [];
    const deps = (fail: boolean) => ({
      ledger: f.ledger,
      verdicts,
      sink: {
        publish: async (verdict: DrillVerdict) => {
          if (fail && verdict.drill === 'broken-weekly') throw new Error('EventBridge is down');
          told.push(verdict);
        },
      },
      clock: f.clock,
      log: new RecordingLog(),
    });

    // Act
    const failed = judgeDrills([broken, healthy], deps(true));
    await expect(failed).rejects.toThrow(/could not judge broken-weekly \(EventBridge is down\)/);
    const retried = await judgeDrills([broken, healthy], deps(false));

    // Assess
    expect(told.map((verdict) => verdict.drill)).toEqual(['healthy-weekly', 'broken-weekly']);
    expect(retried.map((verdict) => [verdict.drill, verdict.verdict])).toEqual([['broken-weekly', 'missed']]);
  });
});
