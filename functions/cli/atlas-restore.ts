#!/usr/bin/env node
import packageJson from '../../package.json' with { type: 'json' };
import { type AtlasClient, createAtlasClient } from '../core/atlas/client.ts';
import { environmentCredentials } from '../core/credentials/environment.ts';
import { type CliCommand, type CliContext, UsageError } from './command.ts';
import { enqueue } from './commands/enqueue.ts';
import { history } from './commands/history.ts';
import { jobsDescribe } from './commands/jobs-describe.ts';
import { jobsList } from './commands/jobs-list.ts';
import { snapshotsList } from './commands/snapshots-list.ts';
import { start } from './commands/start.ts';
import { validate } from './commands/validate.ts';
import { watch } from './commands/watch.ts';
import { errorLine, exitCodeFor } from './output.ts';

/** Every command, in the order `--help` lists them. A new command is a module under commands/ and a line here. */
const COMMANDS: readonly CliCommand[] = [
  snapshotsList,
  jobsList,
  jobsDescribe,
  start,
  watch,
  validate,
  enqueue,
  history,
];

/** Atlas calls from a terminal give up after this, retries included. */
const CALL_BUDGET_MS = 60_000;

function usage(): string {
  const lines = COMMANDS.map((command) => `  atlas-restore ${command.name} ${command.usage}\n      ${command.summary}`);
  return [
    'Usage:',
    ...lines,
    '',
    'Credentials come from MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET (service account) or',
    'MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY (API key); MONGODB_ATLAS_BASE_URL overrides',
    'https://cloud.mongodb.com. --json prints machine-readable output on stdout. --version prints the version.',
    '',
  ].join('\n');
}

/** Runs one command line; resolves with the exit status. */
export async function main(
  argv: readonly string[],
  io: { env: NodeJS.ProcessEnv; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  if (argv[0] === '--version' || argv[0] === 'version') {
    io.stdout.write(`atlas-restore ${packageJson.version}\n`);
    return 0;
  }
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    (argv.length === 0 ? io.stderr : io.stdout).write(usage());
    return argv.length === 0 ? 2 : 0;
  }
  let client: AtlasClient | undefined;
  try {
    const command = COMMANDS.find((candidate) => {
      const words = candidate.name.split(' ');
      return words.every((word, index) => argv[index] === word);
    });
    if (command === undefined) {
      throw new UsageError(`unknown command ${JSON.stringify(argv.slice(0, 2).join(' '))}`);
    }
    const rest = argv.slice(command.name.split(' ').length);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(`Usage: atlas-restore ${command.name} ${command.usage}\n  ${command.summary}\n`);
      if (command.help) io.stdout.write(`\n${command.help}\n`);
      return 0;
    }
    const context: CliContext = {
      env: io.env,
      stdout: io.stdout,
      stderr: io.stderr,
      deadline: Date.now() + CALL_BUDGET_MS,
      atlas() {
        client ??= createAtlasClient({
          credentials: environmentCredentials(io.env),
          // An operator waits at the terminal: shorter steps than the Lambda's, within the same deadline.
          retry: { baseDelayMs: 1_000, maxDelayMs: 8_000 },
          // A command lives seconds; its token would live an hour and count against the account's 100.
          revokeTokenOnClose: true,
        });
        return client;
      },
    };
    await command.run(rest, context);
    return 0;
  } catch (error) {
    io.stderr.write(errorLine(error));
    return exitCodeFor(error);
  } finally {
    await client?.close();
  }
}

/** Runs the command line this process was started with; the exit status becomes the process's. */
export async function runFromProcess(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
  });
}

if (import.meta.main) await runFromProcess();
