import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AtlasSimulator } from '../../atlas-simulator/index.ts';
import { type LocalAws, startLocalAws } from '../../support/local-aws.ts';
import { addClusterPair, atlasEnv, runCli, startRealTimeSimulator } from './run-cli.ts';

/**
 * Each mistake an operator makes at 3 a.m., run as a process: what it prints must say what to do, on one line, with
 * no internal class name and no stack trace, and the exit status must tell a usage mistake (2) from a failure (1).
 */

const PROJECT = '0123456789abcdef01234567';
/** Nothing listens here: a command that got as far as Atlas would fail with exit 1. */
const UNREACHABLE_ATLAS = {
  MONGODB_ATLAS_CLIENT_ID: 'id',
  MONGODB_ATLAS_CLIENT_SECRET: 'secret',
  MONGODB_ATLAS_BASE_URL: 'http://127.0.0.1:9',
};
const INTERNAL_NAMES =
  /(OperationFailedError|CredentialsProviderError|ResourceNotFoundException|StackLookupError|NotTakenUpError|RequestConflictError|UsageError|TypeError|Error):/;
const STACK_TRACE = /\n\s+at /;

interface World {
  readonly sim: AtlasSimulator;
  readonly aws: LocalAws;
  readonly home: string;
  readonly sqsCapture: { url: string; regions: string[] };
}

interface Case {
  readonly name: string;
  args(world: World): string[];
  env(world: World): Record<string, string>;
  readonly code: number;
  readonly stdout?: RegExp;
  readonly stderr?: RegExp;
  alsoCheck?(world: World): void;
}

const localAwsEnv = (world: World) => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_ENDPOINT_URL_DYNAMODB: world.aws.dynamodbEndpoint,
});

const CASES: Case[] = [
  {
    name: 'an unknown flag close to a known one',
    args: () => ['snapshots', 'list', '--project-id', PROJECT, '--clusterName', 'prod'],
    env: () => UNREACHABLE_ATLAS,
    code: 2,
    stderr:
      /^atlas-restore: unknown flag --project-id: did you mean --projectId\? \(see atlas-restore snapshots list --help\)\n$/,
  },
  {
    name: 'a misspelt flag',
    args: () => ['jobs', 'list', '--projectId', PROJECT, '--clustername', 'prod'],
    env: () => UNREACHABLE_ATLAS,
    code: 2,
    stderr: /unknown flag --clustername: did you mean --clusterName\?/,
  },
  {
    name: 'an unknown command close to a known one',
    args: () => ['snapshot', 'list', '--projectId', PROJECT, '--clusterName', 'prod'],
    env: () => UNREACHABLE_ATLAS,
    code: 2,
    stderr:
      /^atlas-restore: unknown command "snapshot list": did you mean "snapshots list"\? \(see atlas-restore [a-z ]*--help\)\n$/,
  },
  {
    name: 'an unknown verb of a group',
    args: () => ['jobs', 'lst'],
    env: () => UNREACHABLE_ATLAS,
    code: 2,
    stderr: /unknown command "jobs lst": did you mean "jobs list"\?/,
  },
  {
    name: '`jobs` alone',
    args: () => ['jobs'],
    env: () => ({}),
    code: 2,
    stderr:
      /^atlas-restore jobs needs a subcommand:\n {2}atlas-restore jobs list [^\n]+\n[\s\S]*atlas-restore jobs describe /,
  },
  {
    name: '`snapshots` alone',
    args: () => ['snapshots'],
    env: () => ({}),
    code: 2,
    stderr: /^atlas-restore snapshots needs a subcommand:\n {2}atlas-restore snapshots list /,
  },
  {
    name: '`help start`',
    args: () => ['help', 'start'],
    env: () => ({}),
    code: 0,
    stdout: /^Usage: atlas-restore start automated\|download\|pointInTime /,
  },
  {
    name: 'a restore the guardrails refuse',
    args: ({ sim }) => {
      const { groupId, source, target } = addClusterPair(sim);
      return [
        'start',
        'automated',
        '--projectId',
        groupId,
        '--clusterName',
        source,
        '--targetProjectId',
        groupId,
        '--targetClusterName',
        target,
        '--dry-run',
        '--ledger',
        join(mkdtempSync(join(tmpdir(), 'ledger-')), 'l.db'),
      ];
    },
    env: ({ sim }) => atlasEnv(sim),
    code: 1,
    stderr: /atlas-restore: restore refused[^\n]*allow the target with --allowTarget/,
  },
  {
    name: 'no AWS credentials',
    args: () => ['history', '--tableName', 'ledger'],
    env: (world) => ({
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_DYNAMODB: world.aws.dynamodbEndpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      HOME: world.home,
    }),
    code: 1,
    stderr: /^atlas-restore: no AWS credentials found[^\n]*AWS_PROFILE/,
  },
  {
    name: 'a ledger table that does not exist',
    args: () => ['history', '--tableName', 'nope'],
    env: localAwsEnv,
    code: 1,
    stderr: /^atlas-restore: DynamoDB table nope was not found in us-east-1[^\n]*--stack/,
  },
  {
    name: 'enqueue without AWS_REGION',
    args: () => [
      'enqueue',
      'automated',
      '--projectId',
      PROJECT,
      '--clusterName',
      'prod',
      '--targetProjectId',
      PROJECT,
      '--targetClusterName',
      'dr',
      '--requestId',
      'r-1',
      '--queueUrl',
      'https://sqs.eu-west-1.amazonaws.com/123456789012/work',
    ],
    env: ({ sqsCapture, home }) => ({
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SQS: sqsCapture.url,
      HOME: home,
    }),
    code: 0,
    stdout: /^queued /,
    alsoCheck: ({ sqsCapture }) => expect(sqsCapture.regions.at(-1)).toBe('eu-west-1'),
  },
  {
    name: 'a malformed MONGODB_ATLAS_BASE_URL',
    args: () => ['jobs', 'list', '--projectId', PROJECT, '--clusterName', 'prod'],
    env: () => ({ ...UNREACHABLE_ATLAS, MONGODB_ATLAS_BASE_URL: 'cloud.mongodb.com' }),
    code: 2,
    stderr: /^atlas-restore: MONGODB_ATLAS_BASE_URL: must be an http\(s\) URL such as https:\/\/cloud\.mongodb\.com/,
  },
];

/** An SQS endpoint that answers SendMessage and records the region each request was signed for. */
async function startSqsCapture(): Promise<{ server: Server; url: string; regions: string[] }> {
  const regions: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/sqs\//.exec(request.headers.authorization ?? '');
      regions.push(scope?.[1] ?? '');
      const sent = JSON.parse(body) as { MessageBody: string };
      const md5 = createHash('md5').update(sent.MessageBody).digest('hex');
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ MessageId: 'm-1', MD5OfMessageBody: md5 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, regions };
}

describe('CLI: errors a person can act on', () => {
  let world: World;
  let capture: Server;

  beforeAll(async () => {
    const sqsCapture = await startSqsCapture();
    capture = sqsCapture.server;
    world = {
      sim: await startRealTimeSimulator(),
      aws: await startLocalAws({ prefix: 'errors' }),
      home: mkdtempSync(join(tmpdir(), 'atlas-restore-home-')),
      sqsCapture,
    };
  });
  afterAll(async () => {
    await world.sim.close();
    await world.aws.stop();
    capture.close();
    rmSync(world.home, { recursive: true, force: true });
  });

  it.each(CASES.map((entry) => [entry.name, entry] as const))('%s', async (_name, entry) => {
    // Act
    const result = await runCli(entry.args(world), { HOME: world.home, ...entry.env(world) });

    // Assess
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: entry.code });
    if (entry.stdout) expect(result.stdout).toMatch(entry.stdout);
    if (entry.stderr) expect(result.stderr).toMatch(entry.stderr);
    expect(result.stderr).not.toMatch(INTERNAL_NAMES);
    expect(result.stderr).not.toMatch(STACK_TRACE);
    entry.alsoCheck?.(world);
  });
});
