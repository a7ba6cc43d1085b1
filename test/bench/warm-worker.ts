/**
 * The warm-cost worker: runs the deployed handler bundle alone in this process (the servers live in the parent), so
 * process.cpuUsage() is the handler's CPU, and beside it the floor: the same Atlas requests and the same SQS and
 * DynamoDB calls made directly with the same client libraries. Forked by warm-cost.ts, never imported.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { fakeLambdaContext } from '../support/lambda-context.ts';
import type {
  AtlasCall,
  AwsCall,
  ParentMessage,
  Samples,
  WorkerInit,
  WorkerMessage,
  WorkerTemplates,
} from './warm-protocol.ts';

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

// --- Recording the handler's AWS calls (warm-up only) -------------------------------------------------------------
// The bundled SDK sends through node:http's `request`, looked up on the module object at call time: wrapping it
// before the bundle loads lets the warm-up record each call's X-Amz-Target and body. Measured messages run with
// recording off (one property check per request).
const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');
const originalRequest = http.request;
let recording: AwsCall[] | undefined;
http.request = ((...args: Parameters<typeof originalRequest>) => {
  const request = originalRequest(...args);
  if (recording !== undefined) record(request, recording);
  return request;
}) as typeof originalRequest;
syncBuiltinESMExports();

function record(request: ClientRequest, into: AwsCall[]): void {
  const end = request.end;
  // end() is overloaded (chunk, encoding, callback in any arrangement); the SDK passes the body as its first argument.
  request.end = function recordingEnd(this: ClientRequest, ...args: unknown[]) {
    const [chunk] = args;
    const body = typeof chunk === 'string' || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : '';
    // The Atlas transport uses node:http too: only AWS JSON-protocol calls (X-Amz-Target) are recorded here.
    const target = this.getHeader('x-amz-target');
    if (target !== undefined) into.push({ target: String(target), body });
    return (end as (...rest: unknown[]) => ClientRequest).apply(this, args);
  } as ClientRequest['end'];
}

// --- Counting new connections (keep-alive reuse) ------------------------------------------------------------------
// Every TCP client socket, is announced on this channel when it is created.
let connections = 0;
diagnosticsChannel.subscribe('net.client.socket', () => {
  connections += 1;
});

// --- Counting log bytes ---------------------------------------------------------------------------------------------
let logBytes = 0;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  logBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
  return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stdout.write;

// --- Protocol -----------------------------------------------------------------------------------------------------
const inbox: ParentMessage[] = [];
let waiting: ((message: ParentMessage) => void) | undefined;
process.on('message', (message: ParentMessage) => {
  if (waiting) {
    const resolve = waiting;
    waiting = undefined;
    resolve(message);
  } else inbox.push(message);
});

function receive<T extends ParentMessage['type']>(type: T): Promise<Extract<ParentMessage, { type: T }>> {
  const check = (message: ParentMessage) => {
    if (message.type !== type) throw new Error(`expected ${type} from the parent, got ${message.type}`);
    return message as Extract<ParentMessage, { type: T }>;
  };
  const queued = inbox.shift();
  if (queued) return Promise.resolve(check(queued));
  return new Promise((resolve) => {
    waiting = (message) => resolve(check(message));
  });
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send?.(message, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

// --- Measuring ----------------------------------------------------------------------------------------------------
const emptySamples = (): Samples => ({ cpuMs: [], latencyMs: [] });

async function measured<T>(samples: Samples, work: () => Promise<T>): Promise<T> {
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const result = await work();
  const latencyMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  samples.cpuMs.push((cpu.user + cpu.system) / 1000);
  samples.latencyMs.push(latencyMs);
  return result;
}

function sqsEvent(messageId: string, body: string, arn: string): SQSEvent {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId,
        receiptHandle: `${messageId}-receipt`,
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: 'bench',
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: arn,
        awsRegion: 'us-east-1',
      },
    ],
  };
}

async function run(init: WorkerInit): Promise<void> {
  const loaded = (await import(pathToFileURL(init.bundle).href)) as { handler?: Handler };
  const handler = loaded.handler;
  if (typeof handler !== 'function') throw new Error(`${init.bundle} exports no handler`);
  const sqs = new SQSClient({});
  const dynamodb = new DynamoDBClient({});
  const agent = new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 4_000 });
  let sequence = 0;

  async function handle(body: string): Promise<void> {
    sequence += 1;
    const response = await handler?.(sqsEvent(`m-${sequence}`, body, init.workQueueArn), fakeLambdaContext());
    const failures = response?.batchItemFailures ?? [];
    if (failures.length > 0) throw new Error(`the handler failed a message: ${body.slice(0, 200)}`);
  }

  /** Up to `max` due poll messages from the work queue (deleted after handling, as the event source mapping does). */
  async function nextMessages(max: number): Promise<Message[]> {
    for (let attempt = 0; attempt < 600; attempt += 1) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: init.workQueueUrl,
          MaxNumberOfMessages: Math.min(10, max),
          WaitTimeSeconds: 0,
          VisibilityTimeout: 600,
        }),
      );
      if (Messages.length > 0) return Messages;
      await sleep(50);
    }
    throw new Error('no poll message became due within 30 s');
  }

  async function deleteMessages(messages: readonly Message[]): Promise<void> {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: init.workQueueUrl,
        Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })),
      }),
    );
  }

  /** Handles `count` poll messages as they come due; `each` wraps every handler call. */
  async function handlePolls(count: number, each: (body: string) => Promise<void>): Promise<void> {
    let handled = 0;
    while (handled < count) {
      const taken = await nextMessages(count - handled);
      for (const message of taken) {
        const body = message.Body ?? '';
        if ((JSON.parse(body) as { kind?: unknown }).kind !== 'poll')
          throw new Error(`expected a poll message: ${body}`);
        await each(body);
        handled += 1;
      }
      await deleteMessages(taken);
    }
  }

  // Warm-up: JIT, connections, the secret and the Atlas token; the template operation's AWS calls are recorded.
  const templateAws: { start: AwsCall[]; poll: AwsCall[] } = { start: [], poll: [] };
  for (const body of init.warmupRequests) {
    const calls: AwsCall[] = [];
    recording = calls;
    await handle(body);
    recording = undefined;
    if ((JSON.parse(body) as { requestId?: unknown }).requestId === init.templateOperationId) templateAws.start = calls;
  }
  await handlePolls(init.warmupPolls, async (body) => {
    const calls: AwsCall[] = [];
    recording = calls;
    await handle(body);
    recording = undefined;
    const operationId = (JSON.parse(body) as { operationId?: unknown }).operationId;
    if (operationId === init.templateOperationId && templateAws.poll.length === 0) templateAws.poll = calls;
  });
  if (templateAws.start.length === 0 || templateAws.poll.length === 0) {
    throw new Error('the warm-up did not record the template operation (its start and a poll)');
  }
  await send({ type: 'warmed', aws: templateAws });
  const templates = await receive('templates');
  const floor = createFloor(init, templates, templateAws, { sqs, dynamodb, agent });
  await floor.authenticate();

  const results = {
    handler: { start: emptySamples(), poll: emptySamples() },
    floor: { start: emptySamples(), poll: emptySamples() },
    logBytes: { start: 0, poll: 0 },
    connections: { handler: { start: 0, poll: 0 }, floor: { start: 0, poll: 0 } },
  };
  const block = init.blockSize;

  // Starts, in alternating blocks: a noisy moment hits both sides alike.
  for (let first = 0; first < init.measuredRequests.length; first += block) {
    const bodies = init.measuredRequests.slice(first, first + block);
    const logBefore = logBytes;
    let connectionsBefore = connections;
    for (const body of bodies) await measured(results.handler.start, () => handle(body));
    results.logBytes.start += logBytes - logBefore;
    results.connections.handler.start += connections - connectionsBefore;
    connectionsBefore = connections;
    for (let index = first; index < first + bodies.length; index += 1) {
      await measured(results.floor.start, () => floor.start(index));
    }
    results.connections.floor.start += connections - connectionsBefore;
  }
  // Polls, the same way.
  for (let first = 0; first < init.measuredPolls; first += block) {
    const count = Math.min(block, init.measuredPolls - first);
    const logBefore = logBytes;
    let connectionsBefore = connections;
    await handlePolls(count, (body) => measured(results.handler.poll, () => handle(body)));
    results.logBytes.poll += logBytes - logBefore;
    results.connections.handler.poll += connections - connectionsBefore;
    connectionsBefore = connections;
    for (let index = first; index < first + count; index += 1) {
      await measured(results.floor.poll, () => floor.poll(index % templates.floorIds.length));
    }
    results.connections.floor.poll += connections - connectionsBefore;
  }

  await send({ type: 'result', ...results, aws: templateAws });
  sqs.destroy();
  dynamodb.destroy();
  agent.destroy();
}

// --- The floor ----------------------------------------------------------------------------------------------------
/** The ledger's DynamoDB operations, from their wire JSON (which is the low-level client's input shape). */
function dynamoDbOperations(client: DynamoDBClient): Record<string, (input: never) => Promise<unknown>> {
  return {
    GetItem: (input) => client.send(new GetItemCommand(input)),
    PutItem: (input) => client.send(new PutItemCommand(input)),
    UpdateItem: (input) => client.send(new UpdateItemCommand(input)),
    DeleteItem: (input) => client.send(new DeleteItemCommand(input)),
    Query: (input) => client.send(new QueryCommand(input)),
  };
}

/**
 * The template operation's requests, made again for floor operation `index`: its identifiers put in place of the
 * template's (all names have the same length, so every request has the same size), SQS sends to a queue nobody reads.
 */
function createFloor(
  init: WorkerInit,
  templates: WorkerTemplates,
  aws: { readonly start: readonly AwsCall[]; readonly poll: readonly AwsCall[] },
  clients: { sqs: SQSClient; dynamodb: DynamoDBClient; agent: import('node:http').Agent },
) {
  const jobIds: string[] = [];
  const dynamodb = dynamoDbOperations(clients.dynamodb);
  let bearer = '';

  function substitute(text: string, index: number): string {
    const ids = templates.floorIds[index];
    if (ids === undefined) throw new Error(`no floor operation ${index}`);
    const from = templates.templateIds;
    let result = text
      .replaceAll(from.operationId, ids.operationId)
      .replaceAll(from.source, ids.source)
      .replaceAll(from.target, ids.target)
      .replaceAll(from.snapshotId, ids.snapshotId);
    const jobId = jobIds[index];
    if (jobId !== undefined) result = result.replaceAll(from.jobId, jobId);
    return result;
  }

  /** One request on the keep-alive agent, with node:http as the handler's transport uses it; the whole body as text. */
  function request(options: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body?: string;
  }): Promise<{ statusCode: number; text: string }> {
    const url = new URL(init.atlas.baseUrl);
    return new Promise((resolve, reject) => {
      const outgoing = http.request(
        {
          hostname: url.hostname,
          port: url.port,
          method: options.method,
          path: options.path,
          headers: options.headers,
          agent: clients.agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({ statusCode: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(options.body);
    });
  }

  async function atlas(call: AtlasCall, index: number): Promise<unknown> {
    const response = await request({
      method: call.method,
      path: substitute(call.path, index),
      headers: { ...call.headers, authorization: `Bearer ${bearer}` },
      ...(call.body === undefined ? {} : { body: substitute(call.body, index) }),
    });
    const text = response.text;
    if (response.statusCode >= 300) {
      throw new Error(`floor ${call.method} ${call.path} answered ${response.statusCode}: ${text.slice(0, 300)}`);
    }
    return text.length > 0 ? JSON.parse(text) : undefined;
  }

  async function awsCall(call: AwsCall, index: number): Promise<void> {
    const [service, operation] = call.target.split('.');
    const input = JSON.parse(substitute(call.body, index));
    if (service === 'AmazonSQS' && operation === 'SendMessage') {
      await clients.sqs.send(new SendMessageCommand({ ...input, QueueUrl: init.floorQueueUrl }));
      return;
    }
    const dynamodbOperation = operation === undefined ? undefined : dynamodb[operation];
    if (service?.startsWith('DynamoDB_') && dynamodbOperation !== undefined) {
      await dynamodbOperation(input as never);
      return;
    }
    throw new Error(`the floor cannot replay ${call.target}`);
  }

  return {
    /** A service-account token, once, as the handler holds one. */
    async authenticate() {
      const basic = Buffer.from(`${init.atlas.clientId}:${init.atlas.clientSecret}`).toString('base64');
      const response = await request({
        method: 'POST',
        path: '/api/oauth/token',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      const token = JSON.parse(response.text) as { access_token?: string };
      if (response.statusCode !== 200 || token.access_token === undefined) throw new Error('floor: no Atlas token');
      bearer = token.access_token;
    },

    async start(index: number) {
      for (const call of templates.atlas.start) {
        const answer = await atlas(call, index);
        if (call.method === 'POST') jobIds[index] = (answer as { id: string }).id;
      }
      for (const call of aws.start) await awsCall(call, index);
    },

    async poll(index: number) {
      for (const call of templates.atlas.poll) await atlas(call, index);
      for (const call of aws.poll) await awsCall(call, index);
    },
  };
}

try {
  await run(await receive('init'));
} catch (error) {
  await send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
}
process.disconnect?.();
