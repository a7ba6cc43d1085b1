import { describe, expect, it } from 'vitest';
import { runInProcess } from './run-cli.ts';

// Nothing listens here: a command that reached Atlas would fail with exit 1, not 2.
const UNREACHABLE = {
  MONGODB_ATLAS_CLIENT_ID: 'id',
  MONGODB_ATLAS_CLIENT_SECRET: 'secret',
  MONGODB_ATLAS_BASE_URL: 'http://127.0.0.1:9',
};

/** The restore flags as `start` (and `enqueue`) read them: every mistake is exit 2 and one line naming the flag. */
describe('CLI: atlas-restore start flags', () => {
  it.each([
    ['an unknown delivery type', ['restore'], /DELIVERY_TYPE: must be one of automated, download, pointInTime/],
    [
      'a missing target',
      ['automated', '--targetProjectId', '0123456789abcdef01234567'],
      /--targetClusterName: required for deliveryType automated/,
    ],
    [
      'a snapshot with a point in time',
      [
        'pointInTime',
        '--snapshotId',
        'latest',
        '--pointInTimeUTCSeconds',
        '1764300000',
        '--targetProjectId',
        '0123456789abcdef01234567',
        '--targetClusterName',
        'dr',
      ],
      /--snapshotId: not used with pointInTime/,
    ],
    [
      'a point in time that is not a number',
      ['pointInTime', '--pointInTimeUTCSeconds', 'yesterday'],
      /--pointInTimeUTCSeconds: must be a whole number/,
    ],
    [
      'a point in time before 2008',
      [
        'pointInTime',
        '--pointInTimeUTCSeconds',
        '1000',
        '--targetProjectId',
        '0123456789abcdef01234567',
        '--targetClusterName',
        'dr',
      ],
      /--pointInTimeUTCSeconds: must be seconds since the epoch, 1199145600 or later/,
    ],
    [
      'an oplogTs without oplogInc',
      [
        'pointInTime',
        '--oplogTs',
        '1764300000',
        '--targetProjectId',
        '0123456789abcdef01234567',
        '--targetClusterName',
        'dr',
      ],
      /--oplogInc: oplogTs and oplogInc go together/,
    ],
    [
      'a target for a download',
      ['download', '--targetClusterName', 'dr'],
      /--targetClusterName: not allowed for deliveryType download/,
    ],
    ['a bad snapshot id', ['download', '--snapshotId', 'newest'], /--snapshotId: must be 24 lowercase hex characters/],
    ['a bad --allowTarget', ['download', '--allowTarget', 'prod'], /--allowTarget: must be projectId\/clusterName/],
    ['an unknown flag', ['download', '--force'], /unknown flag --force/],
    ['no delivery type', [], /DELIVERY_TYPE: is required/],
    ['two delivery types', ['download', 'automated'], /unexpected extra argument/],
    ['a max wait of zero', ['download', '--maxWaitMinutes', '0'], /--maxWaitMinutes: must be 1 or more/],
    ['a request id with a space', ['download', '--requestId', 'drill 1'], /--requestId: must be 1 to 128 characters/],
    ['a bad project id', ['download', '--projectId', 'prod'], /--projectId: must be 24 lowercase hex characters/],
  ])('exits 2 with one line for %s, before calling Atlas', async (_case, extra, message) => {
    // Prepare: nothing listens here, so a command that reached Atlas would fail otherwise.
    const args = ['start', '--projectId', '0123456789abcdef01234567', '--clusterName', 'prod', ...extra];

    // Act
    const result = await runInProcess(args, UNREACHABLE);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^atlas-restore: [^\n]+ \(see atlas-restore [a-z ]*--help\)\n$/);
    expect(result.stderr).toMatch(message);
  });
});
