#!/usr/bin/env node
import packageJson from '../../package.json' with { type: 'json' };
import { type AtlasClient, createAtlasClient } from '../core/atlas/client.ts';
import { environmentCredentials } from '../core/credentials/environment.ts';
import { type CliCommand, type CliContext, UsageError } from './command.ts';
import { enqueue } from './commands/enqueue.ts';
import { history } from './commands/history.ts';
import { jobsDescribe } from './commands/jobs-describe.ts';
import { jobsList } from './commands/jobs-list.ts';
import { redrive } from './commands/redrive.ts';
import { snapshotsList } from './commands/snapshots-list.ts';
import { start } from './commands/start.ts';
import { validate } from './commands/validate.ts';
import { watch } from './commands/watch.ts';
import { didYouMean } from './did-you-mean.ts';
import { applyAtlasCliHabits } from './global-options.ts';
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
  redrive,
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
    'https://cloud.mongodb.com. As with the Atlas CLI: -o/--output json|table (--json is the same as -o json),',
    'MONGODB_ATLAS_PROJECT_ID for a missing --projectId, and -P/--profile NAME (or MONGODB_ATLAS_PROFILE) reads',
    'project_id, public_api_key, private_api_key and output from the Atlas CLI config file (config.toml).',
    '--version prints the version; ATLAS_RESTORE_DEBUG=1 adds stack traces to errors.',
    '',
  ].join('\n');
}

/** The command whose words start the command line. */
function findCommand(argv: readonly string[]): CliCommand | undefined {
  return COMMANDS.find((candidate) => candidate.name.split(' ').every((word, index) => argv[index] === word));
}

/** `unknown command "snapshot list": did you mean "snapshots list"?` */
function unknownCommand(argv: readonly string[]): UsageError {
  const words = argv.slice(0, 2).filter((word) => !word.startsWith('-'));
  const typed = words.join(' ');
  const names = COMMANDS.map((candidate) => candidate.name);
  // One word typed for a one-word command (`histroy`), two for a group's verb (`jobs lst`).
  const guess = didYouMean(typed, names) ?? didYouMean(words[0] ?? '', names);
  return new UsageError(
    `unknown command ${JSON.stringify(typed)}${guess ? `: did you mean ${JSON.stringify(guess)}?` : ''}`,
  );
}

/** MONGODB_ATLAS_BASE_URL, when set, must be a URL: a typo there is the operator's to fix, not Atlas's answer. */
function checkAtlasBaseUrl(env: NodeJS.ProcessEnv): void {
  const value = env.MONGODB_ATLAS_BASE_URL;
  if (value === undefined || value === '') return;
  let protocol = '';
  try {
    protocol = new URL(value).protocol;
  } catch {}
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new UsageError(
      `MONGODB_ATLAS_BASE_URL: must be an http(s) URL such as https://cloud.mongodb.com (got ${JSON.stringify(value)})`,
    );
  }
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
  if (argv[0] === 'help' && argv.length > 1) return main([...argv.slice(1), '--help'], io);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    (argv.length === 0 ? io.stderr : io.stdout).write(usage());
    return argv.length === 0 ? 2 : 0;
  }
  let client: AtlasClient | undefined;
  let command: CliCommand | undefined;
  try {
    command = findCommand(argv);
    const group = COMMANDS.filter((candidate) => / /.test(candidate.name) && candidate.name.split(' ')[0] === argv[0]);
    if (command === undefined && group.length > 0 && (argv[1] === undefined || argv[1].startsWith('-'))) {
      io.stderr.write(
        `atlas-restore ${argv[0]} needs a subcommand:\n${group.map((entry) => `  atlas-restore ${entry.name} ${entry.usage}\n      ${entry.summary}`).join('\n')}\n`,
      );
      return 2;
    }
    if (command === undefined) throw unknownCommand(argv);
    const habits = applyAtlasCliHabits(command, argv.slice(command.name.split(' ').length), io.env);
    const rest = habits.args;
    const env = habits.env;
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(`Usage: atlas-restore ${command.name} ${command.usage}\n  ${command.summary}\n`);
      if (command.help) io.stdout.write(`\n${command.help}\n`);
      return 0;
    }
    checkAtlasBaseUrl(env);
    const context: CliContext = {
      env,
      stdout: io.stdout,
      stderr: io.stderr,
      deadline: Date.now() + CALL_BUDGET_MS,
      atlas() {
        client ??= createAtlasClient({
          credentials: environmentCredentials(env),
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
    io.stderr.write(errorLine(error, command?.name));
    if (io.env.ATLAS_RESTORE_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
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
