import * as z from 'zod';
import { identifiedRequest } from '../../core/contract/work-message.ts';
import { type CliCommand, parseCommandLine, requiredText } from '../command.ts';
import { checkMessage, InvalidMessageError, readMessageFile } from '../message-file.ts';
import { describeRequest } from '../operation-narrative.ts';
import { writeJson } from '../output.ts';

export const validate: CliCommand = {
  name: 'validate',
  summary: 'Check a message against the restore contract without sending it',
  usage: 'FILE|- [--json]',
  help: [
    'Reads a restore request (or an EventBridge event carrying one in `detail`) and checks it with the schema the',
    'Lambda applies, requestId included (it has no default). Exit 0 when valid; exit 2 with the field and the rule',
    'that failed.',
    '',
    'Examples:',
    '  atlas-restore validate drill.json',
    '  atlas-restore validate - --json < drill.json',
  ].join('\n'),
  async run(args, context) {
    const { flags, positionals } = parseCommandLine(args, {
      options: { json: { type: 'boolean', default: false } },
      flags: z.object({ json: z.boolean() }),
      positionals: z.tuple([requiredText(z.string().min(1))], z.never({ error: 'unexpected extra argument' })),
      positionalNames: ['FILE'],
    });
    const [file] = positionals;
    const body = await readMessageFile(file);
    let message: ReturnType<typeof checkMessage>;
    try {
      message = checkMessage(file, body);
      // The work queue and direct invocations refuse a request without requestId (a retried send would be a second
      // restore); `atlas-restore enqueue` writes one in before sending.
      const identified = message.kind === 'request' ? identifiedRequest(message) : undefined;
      if (identified?.ok === false) throw new InvalidMessageError(file, identified);
    } catch (error) {
      if (flags.json && error instanceof InvalidMessageError) {
        const { code, issues } = error.rejection;
        writeJson(context.stdout, { valid: false, code, issues });
      }
      throw error;
    }
    if (message.kind === 'internal') {
      // Only the workflow writes these; valid, but an operator should not send one.
      const { kind, operationId } = message.message;
      if (flags.json) return writeJson(context.stdout, { valid: true, kind: 'internal', message: message.message });
      const step = 'step' in message.message ? `, step ${message.message.step}` : '';
      context.stdout.write(`valid internal ${kind} message for operation ${operationId}${step}\n`);
      return;
    }
    if (flags.json) {
      return writeJson(context.stdout, {
        valid: true,
        kind: 'request',
        request: message.request,
        ...(message.eventId ? { eventId: message.eventId } : {}),
      });
    }
    const carrier = message.eventId ? ` (in EventBridge event ${message.eventId})` : '';
    context.stdout.write(`valid: ${describeRequest(message.request)}${carrier}\n`);
  },
};
