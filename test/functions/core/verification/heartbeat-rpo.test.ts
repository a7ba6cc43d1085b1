import { describe, expect, it } from 'vitest';
import {
  HEARTBEAT_CLOCK_GRACE_MS,
  heartbeatRpo,
  newestHeartbeatAt,
} from '../../../../functions/core/verification/heartbeat-rpo.ts';
import { memorySession } from './memory-database.ts';

const instant = Date.parse('2026-11-30T12:00:00Z');
const base = { instant, restoreKind: 'snapshot', intervalSeconds: 60, expected: true } as const;

describe('Function: heartbeatRpo', () => {
  it('passes with the achieved RPO when the newest heartbeat is within one interval before the instant', () => {
    const result = heartbeatRpo({ ...base, newestAt: instant - 42_300 });
    expect(result.check.verdict).toBe('pass');
    expect(result.achievedRpoSeconds).toBe(43);
    expect(result.check.reason).toContain('43 s before');
  });

  it('fails naming the gap when the newest heartbeat is more than one interval (and the grace) old', () => {
    const result = heartbeatRpo({ ...base, newestAt: instant - 60_000 - HEARTBEAT_CLOCK_GRACE_MS - 1_000 });
    expect(result.check.verdict).toBe('fail');
    expect(result.achievedRpoSeconds).toBe(66);
    expect(result.check.reason).toMatch(/gap of 66 s, more than one interval \(60 s \+ 5 s grace\)/);
  });

  it('passes at exactly one interval and the grace', () => {
    expect(heartbeatRpo({ ...base, newestAt: instant - 65_000 }).check.verdict).toBe('pass');
  });

  it('fails an automated restore whose target holds a heartbeat newer than the snapshot', () => {
    const result = heartbeatRpo({ ...base, newestAt: instant + 30_000 });
    expect(result.check.verdict).toBe('fail');
    expect(result.achievedRpoSeconds).toBeUndefined();
    expect(result.check.reason).toContain("30 s after the snapshot's time");
  });

  it('passes a heartbeat up to the clock grace after the instant (clock skew), with an RPO of 0 s', () => {
    for (const newestAt of [instant + 1, instant + HEARTBEAT_CLOCK_GRACE_MS]) {
      expect(heartbeatRpo({ ...base, newestAt })).toEqual({
        check: expect.objectContaining({ verdict: 'pass' }),
        achievedRpoSeconds: 0,
      });
    }
  });

  it('fails a heartbeat one millisecond past the clock grace after the instant', () => {
    const result = heartbeatRpo({ ...base, newestAt: instant + HEARTBEAT_CLOCK_GRACE_MS + 1 });
    expect(result.check.verdict).toBe('fail');
    expect(result.achievedRpoSeconds).toBeUndefined();
  });

  it('fails a point-in-time restore whose target holds a heartbeat newer than the requested instant', () => {
    const result = heartbeatRpo({ ...base, restoreKind: 'pointInTime', newestAt: instant + 61_000 });
    expect(result.check.verdict).toBe('fail');
    expect(result.check.reason).toContain('after the requested point in time');
  });

  it('passes a point-in-time restore whose newest heartbeat is within one interval of the requested instant', () => {
    const result = heartbeatRpo({ ...base, restoreKind: 'pointInTime', newestAt: instant - 10_000 });
    expect(result).toEqual({ check: expect.objectContaining({ verdict: 'pass' }), achievedRpoSeconds: 10 });
  });

  it('is unknown with "no heartbeats yet" when none is on the target and none was expected', () => {
    const result = heartbeatRpo({ ...base, expected: false, newestAt: undefined });
    expect(result.check).toMatchObject({ verdict: 'unknown', reason: expect.stringContaining('no heartbeats yet') });
  });

  it('fails when none is on the target though the source had heartbeats', () => {
    expect(heartbeatRpo({ ...base, newestAt: undefined }).check.verdict).toBe('fail');
  });

  it('is unknown when the restored instant is not known', () => {
    expect(heartbeatRpo({ ...base, instant: undefined, newestAt: instant }).check.verdict).toBe('unknown');
  });
});

describe('Function: newestHeartbeatAt', () => {
  const heartbeats = { database: 'atlas_restore', collection: 'heartbeats' };
  const at = (offsetMs: number) => ({ at: new Date(instant + offsetMs) });

  it("reads the newest heartbeat's time, beside the database's other collections", async () => {
    const session = memorySession({
      atlas_restore: {
        settings: { documents: [], indexes: ['_id_'] },
        heartbeats: { documents: [at(-120_000), at(-60_000)], indexes: ['_id_'], capped: true },
      },
    });
    expect(await newestHeartbeatAt(session, heartbeats)).toBe(instant - 60_000);
  });

  it('finds none when the heartbeat database has no heartbeat collection', async () => {
    const session = memorySession({ atlas_restore: { settings: { documents: [at(0)], indexes: ['_id_'] } } });
    expect(await newestHeartbeatAt(session, heartbeats)).toBeUndefined();
  });

  it('finds none when the newest `at` is no valid date', async () => {
    for (const value of ['2026-11-30T12:00:00Z', new Date(Number.NaN)]) {
      const session = memorySession({
        atlas_restore: { heartbeats: { documents: [{ at: value }], indexes: ['_id_'] } },
      });
      expect(await newestHeartbeatAt(session, heartbeats)).toBeUndefined();
    }
  });
});
