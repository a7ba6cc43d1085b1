import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { runCli, runInProcess } from './run-cli.ts';

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';
const DRILL = {
  groupId: GROUP,
  clusterName: 'prod',
  deliveryType: 'automated',
  snapshotId: 'latest',
  targetGroupId: GROUP,
  targetClusterName: 'dr-drill',
  requestId: 'drill-2026-11-28',
};

describe.concurrent('CLI: atlas-restore validate', () => {
  const directory = mkdtempSync(join(tmpdir(), 'atlas-restore-validate-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  function file(name: string, content: unknown): string {
    const path = join(directory, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  }

  it('accepts a valid request and says what it asks for', async ({ expect }) => {
    // Act
    const result = await runCli(['validate', file('drill.json', DRILL)], {});

    // Assess
    expect(result).toEqual({
      code: 0,
      stdout: `valid: automated restore of ${GROUP}/prod (snapshot latest) onto ${GROUP}/dr-drill\n`,
      stderr: '',
    });
  });

  it('accepts an EventBridge event carrying a request', async ({ expect }) => {
    // Prepare
    const event = {
      'detail-type': 'Restore requested',
      source: 'ops',
      id: 'evt-1',
      detail: DRILL,
    };

    // Act
    const result = await runCli(['validate', file('event.json', event), '--json'], {});

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      valid: true,
      kind: 'request',
      eventId: 'evt-1',
      request: DRILL,
    });
  });

  it('exits 2 naming the field and the rule that failed, on one line', async ({ expect }) => {
    // Prepare
    const { targetClusterName: _dropped, ...withoutTarget } = DRILL;
    const path = file('no-target.json', withoutTarget);

    // Act
    const result = await runCli(['validate', path], {});

    // Assess
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `atlas-restore: ${path} is not a valid message (INVALID_REQUEST): targetClusterName: required for deliveryType automated [required] (see atlas-restore validate --help)\n`,
    });
  });

  it('prints the issues as JSON with --json, reading the message from stdin', async ({ expect }) => {
    // Act
    const result = await runCli(['validate', '-', '--json'], {}, { stdin: JSON.stringify({ ...DRILL, oplogInc: 0 }) });

    // Assess
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      valid: false,
      code: 'INVALID_REQUEST',
      issues: [
        { path: 'oplogInc', rule: 'too_small', message: 'must be 1 or more' },
        { path: 'oplogInc', rule: 'point_in_time_only', message: 'only allowed with deliveryType pointInTime' },
      ],
    });
    expect(result.stderr).toMatch(/^atlas-restore: - is not a valid message \(INVALID_REQUEST\): oplogInc: [^\n]+\n$/);
  });

  it.for([
    ['malformed JSON', '{"groupId": ', /is not a valid message \(MALFORMED_JSON\): \(message\): /],
    [
      'a mistyped field',
      { ...DRILL, snapshotID: 'latest' },
      /snapshotID: unknown field \(did you mean snapshotId\?\) \[unrecognized_keys\]/,
    ],
    [
      'a bad project id',
      { ...DRILL, groupId: 'prod' },
      /groupId: must be 24 lowercase hex characters \[invalid_format\]/,
    ],
    [
      'a request without requestId (the work queue has no default for it)',
      { ...DRILL, requestId: undefined },
      /\(INVALID_REQUEST\): requestId: required: choose it once, before the first send, [^\n]+ \[required\]/,
    ],
    [
      'an event whose detail has no requestId',
      { 'detail-type': 'x', source: 'ops', id: 'evt-2', detail: { ...DRILL, requestId: undefined } },
      /\(INVALID_REQUEST\): detail\.requestId: required: [^\n]+ \[required\]/,
    ],
    [
      'an event without its id',
      { 'detail-type': 'x', source: 'ops', detail: DRILL },
      /\(INVALID_EVENT\): id: required \[required\]/,
    ],
  ] as const)('exits 2 for %s', async ([name, content, message], { expect }) => {
    // Act
    const result = await runInProcess(['validate', file(`${name.replace(/\W/g, '-')}.json`, content)]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^atlas-restore: [^\n]+\n$/);
    expect(result.stderr).toMatch(message);
  });

  it('says an internal step message is valid but only the workflow sends it', async ({ expect }) => {
    // Prepare
    const poll = { v: 1, kind: 'poll', operationId: 'drill-1', step: 3, token: 'abc' };

    // Act
    const result = await runInProcess(['validate', file('poll.json', poll)]);

    // Assess
    expect(result).toEqual({
      code: 0,
      stdout: 'valid internal poll message for operation drill-1, step 3\n',
      stderr: '',
    });
  });

  it.for([
    [
      'a file that does not exist',
      ['validate', '/nonexistent/drill.json'],
      /cannot read \/nonexistent\/drill.json: ENOENT/,
    ],
    ['no file', ['validate'], /FILE: is required/],
    ['two files', ['validate', 'a.json', 'b.json'], /unexpected extra argument/],
  ] as const)('exits 2 with one line for %s', async ([, args, message], { expect }) => {
    // Act
    const result = await runInProcess(args);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^atlas-restore: [^\n]+ \(see atlas-restore [a-z ]*--help\)\n$/);
    expect(result.stderr).toMatch(message);
  });
});
