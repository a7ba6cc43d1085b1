/**
 * `npm start [-- --scenario NAME --scale N --json --logs]`: a DR drill on an embedded Atlas simulator, SQS and
 * DynamoDB, through the Lambda's real handler, verified by the verifier's. Prints each step as it happens, then the
 * drill report; exits 0 only when the drill passed (restore succeeded, verification passed).
 */
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { createProgress, type OutputStream } from '../../functions/cli/progress.ts';
import { type DrillReport, runDrill } from './drill.ts';
import { formatReport } from './report.ts';
import { SCENARIO_PLANS, SCENARIOS } from './scenarios.ts';

const HELP = `Usage: npm start -- [options]

Runs a DR drill on this machine: the Atlas simulator, SQS (fauxqs) and DynamoDB (dynalite) start in-process, and
the Lambda's handler runs the restore as it would in AWS. Simulated Atlas time runs --scale times faster.

Options:
  --scenario NAME  ${SCENARIOS.join(' | ')} (default snapshot-in-progress)
${SCENARIOS.map((name) => `                     ${name}: ${SCENARIO_PLANS[name].summary}`).join('\n')}
  --scale N        simulated seconds per real second, 1 to 600 (default 60); SQS delays are whole real
                   seconds, so a step may land up to N simulated seconds after it was due
  --timeout S      real seconds before the drill gives up (default 60)
  --json           print the report as JSON on stdout (step lines go to stderr)
  --logs           also print the handler's structured JSON log lines on stderr
  -h, --help       this text

Every drill onto a cluster is verified: the verifier opens the restored cluster (structure, counts, the RPO the
heartbeats prove; the heartbeat writer runs every simulated minute).

Exit status: 0 the drill passed (restore succeeded and, when verified, the verification passed), 1 it did not,
2 bad options.

Examples:
  npm start
  npm start -- --scenario pointInTime
  npm start -- --scenario download --json | jq .operation.rtoSeconds
`;

const options = z.object({
  scenario: z.enum(SCENARIOS),
  scale: z.coerce.number().min(1).max(600),
  timeout: z.coerce.number().int().min(1).max(3600),
  json: z.boolean(),
  logs: z.boolean(),
  help: z.boolean(),
});

function parseOptions(argv: string[]): z.infer<typeof options> {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', default: 'snapshot-in-progress' },
      scale: { type: 'string', default: '60' },
      timeout: { type: 'string', default: '60' },
      json: { type: 'boolean', default: false },
      logs: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const parsed = options.safeParse(values);
  if (!parsed.success) throw new Error(z.prettifyError(parsed.error).replace(/\s*\n\s*/g, ' '));
  return parsed.data;
}

async function main(argv: string[]): Promise<number> {
  let flags: z.infer<typeof options>;
  try {
    flags = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`local drill: ${error instanceof Error ? error.message : String(error)} (see --help)\n`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  // EMF metrics print on stdout, where the report goes; the drill shows outcomes from the ledger instead.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';

  const stepStream: OutputStream = flags.json ? process.stderr : process.stdout;
  const steps = createProgress(stepStream, { spinner: false });
  const spinner = createProgress(process.stderr);
  let report: DrillReport;
  try {
    report = await runDrill({
      scenario: flags.scenario,
      scale: flags.scale,
      timeoutMs: flags.timeout * 1000,
      onLine: (text) => {
        spinner.stop();
        steps.line(text);
      },
      onStatus: (text) => spinner.status(text),
      ...(flags.logs ? { onLog: (record) => process.stderr.write(`${JSON.stringify(record)}\n`) } : {}),
    });
  } catch (error) {
    spinner.stop();
    process.stderr.write(
      `local drill: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`,
    );
    return 1;
  }
  spinner.stop();
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `\n${formatReport(report)}`);
  // A drill whose chain died before submitting restored nothing: the reaper's cleanup is what it shows.
  const expectedJobs = SCENARIO_PLANS[flags.scenario].ephemeral?.crashAfterCreate
    ? report.restoreJobs <= 1
    : report.restoreJobs === 1;
  return report.passed && expectedJobs ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
