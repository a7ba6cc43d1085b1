/**
 * EventBridge Scheduler's one-off schedules, locally: an HTTP server on 127.0.0.1 speaking the Scheduler API
 * (REST-JSON: CreateSchedule `POST /schedules/{Name}`, GetSchedule `GET`, DeleteSchedule `DELETE`, `groupName` in the
 * body or the query) for the real SDK client, so the reaper adapter runs locally as it runs in AWS (as fauxqs stands
 * in for SQS). A schedule fires when the run's clock (the simulated one) reaches its `at(...)` time: it sends its
 * target's Input to the SQS queue of its target ARN, as Scheduler's SQS target does, and is deleted when its action
 * after completion is DELETE. A failed send is retried on the next tick until the retry policy runs out, then the
 * Input goes to the dead-letter queue and the schedule ends. Only what the reaper uses is modelled: at() in UTC, SQS
 * targets, flexible window OFF; anything else is refused with a ValidationException. Sources: FIDELITY.md,
 * "EventBridge Scheduler (reaper)".
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';

export interface LocalSchedulerOptions {
  /** The run's clock (epoch ms): schedules fire when it reaches their time. */
  readonly clock: { now(): number };
  readonly sqs: SQSClient;
  /** Queue URL of each queue ARN a schedule may target or dead-letter to. */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** Account and region of the ARNs the stand-in answers. */
  readonly account?: string;
  readonly region?: string;
}

export interface StoredSchedule {
  readonly name: string;
  readonly groupName: string;
  readonly at: number;
  readonly input: CreateScheduleBody;
  attempts: number;
  /** Fired (or gave up) and kept, its action after completion being NONE: it never fires again. */
  completed: boolean;
}

export interface LocalScheduler {
  /** `http://127.0.0.1:<port>`: the SDK client's endpoint. */
  readonly endpoint: string;
  /** Schedules now held, by `group/name`. */
  schedules(): StoredSchedule[];
  /** Fires every schedule due on the clock; answers how many sent their message. */
  fireDue(): Promise<number>;
  close(): Promise<void>;
}

const NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;

const createScheduleBody = z.object({
  GroupName: z.string().regex(NAME).default('default'),
  ScheduleExpression: z.string().regex(AT, 'only at(yyyy-mm-ddThh:mm:ss) is modelled'),
  ScheduleExpressionTimezone: z.literal('UTC', 'only UTC is modelled').default('UTC'),
  FlexibleTimeWindow: z.object({ Mode: z.literal('OFF', 'only a flexible window OFF is modelled') }),
  ActionAfterCompletion: z.enum(['NONE', 'DELETE']).default('NONE'),
  State: z.enum(['ENABLED', 'DISABLED']).default('ENABLED'),
  Description: z.string().max(512).optional(),
  Target: z.object({
    Arn: z.string().regex(/^arn:aws[a-z-]*:sqs:/, 'only SQS targets are modelled'),
    RoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\//),
    Input: z.string().min(1).optional(),
    RetryPolicy: z
      .object({
        MaximumRetryAttempts: z.int().min(0).max(185).default(185),
        MaximumEventAgeInSeconds: z.int().min(60).max(86_400).default(86_400),
      })
      .optional(),
    DeadLetterConfig: z.object({ Arn: z.string() }).optional(),
  }),
  ClientToken: z.string().optional(),
});
type CreateScheduleBody = z.infer<typeof createScheduleBody>;

class SchedulerError extends Error {
  readonly type: 'ConflictException' | 'ResourceNotFoundException' | 'ValidationException';
  readonly status: number;

  constructor(type: SchedulerError['type'], status: number, message: string) {
    super(message);
    this.name = 'SchedulerError';
    this.type = type;
    this.status = status;
  }
}

export async function startLocalScheduler(options: LocalSchedulerOptions): Promise<LocalScheduler> {
  const account = options.account ?? '000000000000';
  const region = options.region ?? 'us-east-1';
  const held = new Map<string, StoredSchedule>();
  const key = (group: string, name: string) => `${group}/${name}`;
  const arnOf = (schedule: StoredSchedule) =>
    `arn:aws:scheduler:${region}:${account}:schedule/${schedule.groupName}/${schedule.name}`;

  function create(name: string, body: unknown): unknown {
    const parsed = createScheduleBody.safeParse(body);
    if (!parsed.success) throw new SchedulerError('ValidationException', 400, z.prettifyError(parsed.error));
    const input = parsed.data;
    const [, year, month, day, hour, minute, second] = AT.exec(input.ScheduleExpression) ?? [];
    const at = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
    if (Number.isNaN(at)) throw new SchedulerError('ValidationException', 400, 'Invalid Schedule Expression');
    const id = key(input.GroupName, name);
    if (held.has(id)) throw new SchedulerError('ConflictException', 409, `Schedule ${name} already exists.`);
    const schedule: StoredSchedule = { name, groupName: input.GroupName, at, input, attempts: 0, completed: false };
    held.set(id, schedule);
    return { ScheduleArn: arnOf(schedule) };
  }

  function find(name: string, group: string): StoredSchedule {
    const schedule = held.get(key(group, name));
    if (schedule === undefined) {
      throw new SchedulerError('ResourceNotFoundException', 404, `Schedule ${name} does not exist.`);
    }
    return schedule;
  }

  function describe(schedule: StoredSchedule): unknown {
    const { input } = schedule;
    return {
      Arn: arnOf(schedule),
      Name: schedule.name,
      GroupName: schedule.groupName,
      ScheduleExpression: input.ScheduleExpression,
      ScheduleExpressionTimezone: input.ScheduleExpressionTimezone,
      FlexibleTimeWindow: input.FlexibleTimeWindow,
      ActionAfterCompletion: input.ActionAfterCompletion,
      State: input.State,
      ...(input.Description === undefined ? {} : { Description: input.Description }),
      Target: input.Target,
    };
  }

  async function route(request: IncomingMessage): Promise<unknown> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = /^\/schedules\/([^/]+)$/.exec(url.pathname);
    if (match === null) throw new SchedulerError('ValidationException', 400, `no route for ${url.pathname}`);
    const name = decodeURIComponent(match[1] ?? '');
    if (!NAME.test(name)) throw new SchedulerError('ValidationException', 400, `invalid schedule name ${name}`);
    const group = url.searchParams.get('groupName') ?? 'default';
    switch (request.method) {
      case 'POST':
        return create(name, JSON.parse((await readBody(request)) || '{}'));
      case 'GET':
        return describe(find(name, group));
      case 'DELETE':
        find(name, group);
        held.delete(key(group, name));
        return {};
      default:
        throw new SchedulerError('ValidationException', 400, `method ${request.method} is not modelled`);
    }
  }

  const server = createServer((request, response) => {
    route(request).then(
      (body) => answer(response, 200, body),
      (error: unknown) => {
        const failure =
          error instanceof SchedulerError ? error : new SchedulerError('ValidationException', 400, String(error));
        answer(response, failure.status, { Message: failure.message }, failure.type);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function send(queueArn: string, body: string): Promise<void> {
    const queueUrl = options.queueUrls[queueArn];
    if (queueUrl === undefined) throw new Error(`no queue ${queueArn}`);
    await options.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  }

  return {
    endpoint,
    schedules: () => [...held.values()],
    async fireDue() {
      let fired = 0;
      const now = options.clock.now();
      for (const [id, schedule] of held) {
        const { Target, ActionAfterCompletion, State } = schedule.input;
        if (State !== 'ENABLED' || schedule.completed || schedule.at > now) continue;
        const body = Target.Input ?? '{}';
        const retry = Target.RetryPolicy ?? { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 };
        try {
          await send(Target.Arn, body);
          fired += 1;
        } catch {
          schedule.attempts += 1;
          const exhausted =
            schedule.attempts > retry.MaximumRetryAttempts || now - schedule.at > retry.MaximumEventAgeInSeconds * 1000;
          if (!exhausted) continue;
          if (Target.DeadLetterConfig !== undefined)
            await send(Target.DeadLetterConfig.Arn, body).catch(() => undefined);
        }
        // A one-off schedule has completed: deleted when asked to, kept (and never fired again) otherwise.
        if (ActionAfterCompletion === 'DELETE') held.delete(id);
        else schedule.completed = true;
      }
      return fired;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function answer(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
  });
  response.end(text);
}
