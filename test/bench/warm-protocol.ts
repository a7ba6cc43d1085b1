/** Messages between warm-cost.ts (servers, simulator) and warm-worker.ts (the handler, alone in its process). */

/** One request to Atlas as the handler made it, to be made again by the floor (Authorization is the floor's own). */
export interface AtlasCall {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** One AWS JSON-protocol request as the handler's SDK client sent it: `X-Amz-Target` and the JSON body. */
export interface AwsCall {
  readonly target: string;
  readonly body: string;
}

export interface WorkerInit {
  readonly type: 'init';
  readonly bundle: string;
  /** Restore requests (SQS message bodies) run before measuring, in order. */
  readonly warmupRequests: readonly string[];
  readonly measuredRequests: readonly string[];
  /** Poll messages handled before measuring, and measured. */
  readonly warmupPolls: number;
  readonly measuredPolls: number;
  /** Messages of each kind measured in a row before the floor takes its turn. */
  readonly blockSize: number;
  readonly workQueueUrl: string;
  readonly workQueueArn: string;
  /** Where the floor's SendMessage calls go, so the handler never receives them. */
  readonly floorQueueUrl: string;
  readonly atlas: { readonly baseUrl: string; readonly clientId: string; readonly clientSecret: string };
  /** The warm-up operation whose requests the floor replays (its start, then its first poll). */
  readonly templateOperationId: string;
}

/** Sent once the warm-up is done: the AWS requests of the template operation, as recorded in the worker. */
export interface WorkerWarmed {
  readonly type: 'warmed';
  readonly aws: { readonly start: readonly AwsCall[]; readonly poll: readonly AwsCall[] };
}

export interface OperationIds {
  readonly operationId: string;
  readonly source: string;
  readonly target: string;
  /** The snapshot the restore uses (ObjectIds: the same length for every operation). */
  readonly snapshotId: string;
}

/** The template operation's Atlas requests and how to turn them into another operation's. */
export interface WorkerTemplates {
  readonly type: 'templates';
  readonly atlas: { readonly start: readonly AtlasCall[]; readonly poll: readonly AtlasCall[] };
  /** Identifiers of the template operation (operation id, cluster names, restore job id) … */
  readonly templateIds: OperationIds & { readonly jobId: string };
  /** … and, per floor operation, the ones to put in their place (the job id comes from the floor's own POST). */
  readonly floorIds: readonly OperationIds[];
}

export interface Samples {
  /** CPU time (user + system) of this process during each message, ms. */
  readonly cpuMs: number[];
  readonly latencyMs: number[];
}

export interface WorkerResult {
  readonly type: 'result';
  readonly handler: { readonly start: Samples; readonly poll: Samples };
  readonly floor: { readonly start: Samples; readonly poll: Samples };
  /** Bytes the handler wrote to stdout (its structured logs and EMF), per kind of message. */
  readonly logBytes: { readonly start: number; readonly poll: number };
  /** TCP connections opened while measured messages ran (keep-alive should make them rare). */
  readonly connections: {
    readonly handler: { readonly start: number; readonly poll: number };
    readonly floor: { readonly start: number; readonly poll: number };
  };
  readonly aws: { readonly start: readonly AwsCall[]; readonly poll: readonly AwsCall[] };
}

export interface WorkerFailed {
  readonly type: 'failed';
  readonly error: string;
}

export type ParentMessage = WorkerInit | WorkerTemplates;
export type WorkerMessage = WorkerWarmed | WorkerResult | WorkerFailed;
