/** Runs `atlas-restore` as a process, as an operator or a script would, for the CLI's process tests. */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../../functions/cli/atlas-restore.ts';
import { type AtlasSimulator, SimulatedClock, startAtlasSimulator } from '../../atlas-simulator/index.ts';

export const CLI = fileURLToPath(new URL('../../../functions/cli/atlas-restore.ts', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI process under way: its result, and a way to wait for what it prints on stderr. */
export interface CliProcess {
  readonly result: Promise<CliRun>;
  /** Resolves once stderr matches (to act on the world between two polls). */
  stderrMatches(pattern: RegExp): Promise<void>;
}

/** Starts the CLI under this Node (24) with only PATH and `env`; `stdin` is written and closed. */
export function startCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { readonly stdin?: string; readonly timeoutMs?: number } = {},
): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: options.timeoutMs ?? 25_000,
  });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const waiter of waiters.filter(({ pattern }) => pattern.test(stderr))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const result = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
      for (const waiter of waiters) waiter.resolve();
    });
  });
  child.stdin.end(options.stdin ?? '');
  return {
    result,
    stderrMatches(pattern) {
      if (pattern.test(stderr)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}

/** Runs the CLI to its end. */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { readonly stdin?: string; readonly timeoutMs?: number } = {},
): Promise<CliRun> {
  return startCli(args, env, options).result;
}

/** The CLI's entry point in this process, for the many ways a command line can be wrong (cheaper than a process). */
export async function runInProcess(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const output = { stdout: '', stderr: '' };
  const sink = (stream: keyof typeof output) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        output[stream] += chunk.toString('utf8');
        done();
      },
    });
  const code = await main(argv, { env, stdout: sink('stdout'), stderr: sink('stderr') });
  return { code, ...output };
}

/** Lifecycles of seconds on a real-time clock: a process on the same machine sees the same time as the simulator. */
export const FAST_DURATIONS = {
  automatedRestoreMs: 1_500,
  pointInTimeRestoreMs: 1_500,
  downloadPrepareMs: 1_000,
} as const;

/** A simulator whose clock is real time (scale 1) and whose restores take a second or two. */
export function startRealTimeSimulator(): Promise<AtlasSimulator> {
  return startAtlasSimulator({ clock: new SimulatedClock({ scale: 1 }), durations: FAST_DURATIONS, rateLimit: false });
}

/** Service-account credentials for the simulator, as the CLI reads them from the environment. */
export function atlasEnv(sim: AtlasSimulator): Record<string, string> {
  return {
    MONGODB_ATLAS_CLIENT_ID: sim.seed.credentials.clientId,
    MONGODB_ATLAS_CLIENT_SECRET: sim.seed.credentials.clientSecret,
    MONGODB_ATLAS_BASE_URL: sim.baseUrl,
  };
}

let clusters = 0;

/**
 * A source (with a completed scheduled snapshot taken an hour ago) and a target of its own in the seeded project,
 * so tests running at once never see each other's snapshots and jobs.
 */
export function addClusterPair(sim: AtlasSimulator): {
  groupId: string;
  source: string;
  target: string;
  snapshotId: string;
} {
  clusters += 1;
  const { groupId } = sim.seed;
  const source = `src-${clusters}`;
  const target = `dst-${clusters}`;
  sim.state.addCluster(groupId, { name: source });
  sim.state.addCluster(groupId, { name: target });
  const snapshotId = sim.state.addSnapshot(groupId, source, { startedAt: sim.clock.now() - 3_600_000 });
  return { groupId, source, target, snapshotId };
}
