/**
 * Lambda and SQS as the stack deploys them: the restore function's settings, its SQS event source mapping and its
 * work queue, the verifier's (function, mapping, verification queue) and the heartbeat writer's schedule, read from
 * the template that infra/ synthesizes (as test/infra does; read once per process, and kept on
 * disk under the digest of its inputs).
 * Every local consumer loop (the local drill, the end-to-end tests, the reliability suite, the soak and the bench)
 * takes its numbers from here, so none keeps a copy that could drift from the stack.
 *
 * A variant (a setting removed or changed) is a template edited as JSON and read again: see withoutRecursiveLoop.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { loadLambdaConfig, type WorkflowConfig, workflowConfig } from '../../../functions/core/config.ts';

/** A CloudFormation template as JSON, as far as the model reads it. */
export interface TemplateJson {
  readonly Resources: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
}

/** What Lambda does when it detects the function in a recursive loop (the template's RecursiveLoop). */
export type RecursiveLoopSetting = 'Allow' | 'Terminate';

/** A function fed by an SQS event source mapping: the function, the mapping and the queue, as synthesized. */
export interface QueueConsumerPlatform {
  readonly function: {
    readonly timeoutSeconds: number;
    readonly memorySize: number;
    /** Absent from the template means Lambda's default, Terminate. */
    readonly recursiveLoop: RecursiveLoopSetting;
    /** The variables whose value the template states; the others (queue URLs, table name) are only known deployed. */
    readonly environment: Readonly<Record<string, string>>;
    /** Variables whose value CloudFormation resolves at deploy time (Ref, Fn::GetAtt). */
    readonly unresolvedEnvironment: readonly string[];
  };
  readonly eventSource: {
    readonly batchSize: number;
    readonly maximumBatchingWindowSeconds: number;
    /** Concurrent invocations the event source may run; undefined: no cap but the function's. */
    readonly maximumConcurrency: number | undefined;
    /** ReportBatchItemFailures: the function may answer which records failed; otherwise a batch succeeds or fails whole. */
    readonly reportBatchItemFailures: boolean;
  };
  readonly workQueue: {
    readonly visibilityTimeoutSeconds: number;
    /** Receives after which SQS moves a message to the dead-letter queue. */
    readonly maxReceiveCount: number;
  };
}

/** The restore function and its work queue, and, when verified drills are on, the verifier and the heartbeat writer. */
export interface LambdaPlatform extends QueueConsumerPlatform {
  /** The verifier and its verification queue (`workQueue` here), found through the restore function's VERIFICATION_QUEUE_URL. */
  readonly verifier?: QueueConsumerPlatform;
  /** The heartbeat writer: its schedule's expression and its function. */
  readonly heartbeatWriter?: {
    readonly expression: string;
    readonly function: QueueConsumerPlatform['function'];
  };
}

const intrinsic = z.record(z.string(), z.unknown());

const functionProperties = z.object({
  Timeout: z.number().int().min(1).max(900).default(3),
  MemorySize: z.number().int().min(128).max(10_240).default(128),
  RecursiveLoop: z.enum(['Allow', 'Terminate']).default('Terminate'),
  Environment: z
    .object({ Variables: z.record(z.string(), z.union([z.string(), intrinsic])).default({}) })
    .default({ Variables: {} }),
});

const eventSourceProperties = z.object({
  FunctionName: z.object({ Ref: z.string() }),
  EventSourceArn: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }),
  BatchSize: z.number().int().min(1).max(10_000).default(10),
  MaximumBatchingWindowInSeconds: z.number().int().min(0).max(300).default(0),
  ScalingConfig: z.object({ MaximumConcurrency: z.number().int().min(2).max(1000).optional() }).optional(),
  FunctionResponseTypes: z.array(z.literal('ReportBatchItemFailures')).default([]),
});

const queueProperties = z.object({
  VisibilityTimeout: z.number().int().min(0).max(43_200).default(30),
  RedrivePolicy: z.object({ maxReceiveCount: z.coerce.number().int().min(1).max(1000) }),
});

export class PlatformTemplateError extends Error {
  readonly code = 'PLATFORM_TEMPLATE_INVALID';

  constructor(message: string) {
    super(message);
    this.name = 'PlatformTemplateError';
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new PlatformTemplateError(`${where}: ${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, ' ')}`);
  }
  return parsed.data;
}

type Mapping = ReturnType<typeof readMapping>;

function readMapping(template: TemplateJson, mappingId: string, mapping: TemplateJson['Resources'][string]) {
  const eventSource = parse(eventSourceProperties, mapping.Properties, `${mappingId}.Properties`);
  const functionId = eventSource.FunctionName.Ref;
  const queueId = eventSource.EventSourceArn['Fn::GetAtt'][0];
  const fn = template.Resources[functionId];
  const queue = template.Resources[queueId];
  if (fn?.Type !== 'AWS::Lambda::Function') throw new PlatformTemplateError(`${functionId} is not a Lambda function`);
  if (queue?.Type !== 'AWS::SQS::Queue') throw new PlatformTemplateError(`${queueId} is not an SQS queue`);
  return { mappingId, eventSource, functionId, fn, queueId, queue };
}

function mappings(template: TemplateJson): Mapping[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::EventSourceMapping')
    .map(([id, resource]) => readMapping(template, id, resource));
}

/** The queue a function's environment variable names (`{ Ref: <queue> }`), if any. */
function queueNamedBy(fn: TemplateJson['Resources'][string], variable: string): string | undefined {
  const value = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[
    variable
  ];
  return typeof value === 'object' && value !== null && 'Ref' in value ? String(value.Ref) : undefined;
}

/** The restore function's mapping: the one whose function consumes the queue its own WORK_QUEUE_URL names. */
function findMapping(template: TemplateJson): Mapping {
  const found = mappings(template).filter((mapping) => queueNamedBy(mapping.fn, 'WORK_QUEUE_URL') === mapping.queueId);
  if (found.length !== 1) {
    throw new PlatformTemplateError(
      `expected one AWS::Lambda::EventSourceMapping feeding a function from the queue of its WORK_QUEUE_URL, found ${found.length}`,
    );
  }
  return found[0] as Mapping;
}

/** The verifier's mapping: the one consuming the queue the restore function's VERIFICATION_QUEUE_URL names. */
function findVerifierMapping(template: TemplateJson, restore: Mapping): Mapping | undefined {
  const queueId = queueNamedBy(restore.fn, 'VERIFICATION_QUEUE_URL');
  if (queueId === undefined) return undefined;
  const found = mappings(template).find((mapping) => mapping.queueId === queueId);
  if (found === undefined) {
    throw new PlatformTemplateError(
      `${restore.functionId}'s VERIFICATION_QUEUE_URL names ${queueId}, which no function consumes`,
    );
  }
  return found;
}

const scheduleProperties = z.object({
  ScheduleExpression: z.string(),
  Target: z.object({ Arn: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }) }),
});

/** The heartbeat writer: the function a schedule invokes whose environment names HEARTBEAT_SOURCES. */
function findHeartbeatWriter(template: TemplateJson): LambdaPlatform['heartbeatWriter'] {
  for (const [scheduleId, schedule] of Object.entries(template.Resources)) {
    if (schedule.Type !== 'AWS::Scheduler::Schedule') continue;
    const target = scheduleProperties.safeParse(schedule.Properties);
    if (!target.success) continue;
    const functionId = target.data.Target.Arn['Fn::GetAtt'][0];
    const fn = template.Resources[functionId];
    const variables = (fn?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    if (fn?.Type !== 'AWS::Lambda::Function' || variables?.HEARTBEAT_SOURCES === undefined) continue;
    return {
      expression: parse(scheduleProperties, schedule.Properties, `${scheduleId}.Properties`).ScheduleExpression,
      function: functionSettingsOf(parse(functionProperties, fn.Properties, `${functionId}.Properties`)),
    };
  }
  return undefined;
}

function functionSettingsOf(settings: z.infer<typeof functionProperties>): QueueConsumerPlatform['function'] {
  const environment: Record<string, string> = {};
  const unresolvedEnvironment: string[] = [];
  for (const [name, value] of Object.entries(settings.Environment.Variables)) {
    if (typeof value === 'string') environment[name] = value;
    else unresolvedEnvironment.push(name);
  }
  return {
    timeoutSeconds: settings.Timeout,
    memorySize: settings.MemorySize,
    recursiveLoop: settings.RecursiveLoop,
    environment,
    unresolvedEnvironment,
  };
}

/** Reads the platform's settings from a template; errors name the resource and the property. */
export function platformFromTemplate(template: TemplateJson): LambdaPlatform {
  const restore = findMapping(template);
  const verifier = findVerifierMapping(template, restore);
  const heartbeatWriter = findHeartbeatWriter(template);
  return {
    ...consumerFromMapping(restore),
    ...(verifier === undefined ? {} : { verifier: consumerFromMapping(verifier) }),
    ...(heartbeatWriter === undefined ? {} : { heartbeatWriter }),
  };
}

function consumerFromMapping({ eventSource, functionId, fn, queueId, queue }: Mapping): QueueConsumerPlatform {
  const functionSettings = parse(functionProperties, fn.Properties, `${functionId}.Properties`);
  const queueSettings = parse(queueProperties, queue.Properties, `${queueId}.Properties`);
  // Lambda refuses an event source mapping whose queue hides a message for less time than the function may run.
  if (functionSettings.Timeout > queueSettings.VisibilityTimeout) {
    throw new PlatformTemplateError(
      `${functionId}.Properties.Timeout ${functionSettings.Timeout} s exceeds ${queueId}'s visibility timeout ${queueSettings.VisibilityTimeout} s: Lambda refuses the event source mapping`,
    );
  }
  return {
    function: functionSettingsOf(functionSettings),
    eventSource: {
      batchSize: eventSource.BatchSize,
      maximumBatchingWindowSeconds: eventSource.MaximumBatchingWindowInSeconds,
      maximumConcurrency: eventSource.ScalingConfig?.MaximumConcurrency,
      reportBatchItemFailures: eventSource.FunctionResponseTypes.includes('ReportBatchItemFailures'),
    },
    workQueue: {
      visibilityTimeoutSeconds: queueSettings.VisibilityTimeout,
      maxReceiveCount: queueSettings.RedrivePolicy.maxReceiveCount,
    },
  };
}

/** Names a file holding the template already synthesized for this run (set by the test runner's global setup). */
export const PLATFORM_TEMPLATE_FILE = 'ATLAS_RESTORE_PLATFORM_TEMPLATE_FILE';

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CACHE_DIRECTORY = join(PROJECT_ROOT, 'node_modules', '.cache', 'atlas-restore-platform');
const SYNTHESIZE_SCRIPT = fileURLToPath(new URL('./synthesize-template.ts', import.meta.url));

/** A digest of everything the synthesized template depends on: the stack's code, cdk.json and the locked packages. */
function templateInputsDigest(): string {
  const infra = readdirSync(join(PROJECT_ROOT, 'infra'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join('infra', name));
  const digest = createHash('sha256');
  for (const name of ['cdk.json', 'package-lock.json', ...infra.sort()]) {
    digest
      .update(`${name}\0`)
      .update(readFileSync(join(PROJECT_ROOT, name)))
      .update('\0');
  }
  return digest.digest('hex').slice(0, 32);
}

/**
 * The file holding the template of the current sources. Synthesized (in a child process, as test/infra synthesizes
 * it) when missing, and kept under the digest of its inputs: any change to infra/, cdk.json or the packages
 * synthesizes again, and `npm start` does not pay for a synthesis otherwise.
 */
export function deployedTemplateFile(): string {
  const file = join(CACHE_DIRECTORY, `template-${templateInputsDigest()}.json`);
  if (existsSync(file)) return file;
  mkdirSync(CACHE_DIRECTORY, { recursive: true });
  // Written whole under a temporary name, then renamed: a concurrent reader never sees half a file.
  const partial = `${file}.${process.pid}.tmp`;
  execFileSync(process.execPath, [SYNTHESIZE_SCRIPT, partial], { stdio: ['ignore', 'ignore', 'inherit'] });
  renameSync(partial, file);
  return file;
}

let synthesized: TemplateJson | undefined;

/** The stack's template from the sample configuration in cdk.json (read once per process); a copy to edit. */
export function deployedTemplate(): TemplateJson {
  synthesized ??= JSON.parse(
    readFileSync(process.env[PLATFORM_TEMPLATE_FILE] ?? deployedTemplateFile(), 'utf8'),
  ) as TemplateJson;
  return structuredClone(synthesized);
}

let deployed: LambdaPlatform | undefined;

/** The platform as the stack deploys it. */
export function deployedPlatform(): LambdaPlatform {
  deployed ??= platformFromTemplate(deployedTemplate());
  return deployed;
}

/** A copy of `template` whose event-source function has no RecursiveLoop property (Lambda's default applies). */
export function withoutRecursiveLoop(template: TemplateJson): TemplateJson {
  const copy = structuredClone(template) as { Resources: Record<string, { Properties?: Record<string, unknown> }> };
  const { functionId } = findMapping(template);
  delete copy.Resources[functionId]?.Properties?.RecursiveLoop;
  return copy as TemplateJson;
}

/**
 * A copy of `template` with `properties` merged into the resource `which` (the function, its mapping or its queue) of
 * the restore function, or of the verifier with `consumer: 'verifier'`.
 */
export function withProperties(
  template: TemplateJson,
  which: 'function' | 'eventSource' | 'workQueue',
  properties: Record<string, unknown>,
  consumer: 'restore' | 'verifier' = 'restore',
): TemplateJson {
  const copy = structuredClone(template) as { Resources: Record<string, { Properties?: Record<string, unknown> }> };
  const restore = findMapping(template);
  const mapping = consumer === 'restore' ? restore : findVerifierMapping(template, restore);
  if (mapping === undefined) throw new PlatformTemplateError('the template has no verifier');
  const { functionId, queueId, mappingId } = mapping;
  const id = which === 'function' ? functionId : which === 'workQueue' ? queueId : mappingId;
  const resource = copy.Resources[id];
  if (resource) resource.Properties = { ...resource.Properties, ...properties };
  return copy as TemplateJson;
}

/**
 * The workflow settings the deployed function reads from its environment (functions/core/config.ts), with local
 * stand-ins for what only a deployment resolves (queue URLs, table name), and `overrides` on top.
 */
export function workflowConfigOf(
  platform: LambdaPlatform,
  overrides: Parameters<typeof workflowConfig>[0] = {},
): WorkflowConfig {
  const local: Record<string, string> = {
    WORK_QUEUE_URL: 'http://localhost/000000000000/atlas-restore-work',
    DEAD_LETTER_QUEUE_URL: 'http://localhost/000000000000/atlas-restore-dlq',
    LEDGER_TABLE_NAME: 'atlas-restore-ledger',
    VERIFICATION_QUEUE_URL: 'http://localhost/000000000000/atlas-restore-verification',
  };
  const env = { ...platform.function.environment };
  for (const name of platform.function.unresolvedEnvironment) {
    const value = local[name];
    if (value === undefined) throw new PlatformTemplateError(`no local value for the environment variable ${name}`);
    env[name] = value;
  }
  const { workflow } = loadLambdaConfig(env);
  return workflowConfig({ ...workflow, ...overrides });
}
