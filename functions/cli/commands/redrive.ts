import { GetQueueAttributesCommand, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { cliSqsClient } from '../aws-clients.ts';
import { type CliCommand, noPositionals, parseCommandLine, UsageError } from '../command.ts';
import { deployedStackFlags, stackFromEnvironment, stackOutputValues } from '../deployed-stack.ts';
import { writeFields, writeJson } from '../output.ts';

/** The outputs a redrive needs (infra/restore-orchestrator-stack.ts). */
const REDRIVE_OUTPUTS = ['DeadLetterQueueUrl', 'DeadLetterQueueArn', 'WorkQueueArn'] as const;

export const redrive: CliCommand = {
  name: 'redrive',
  summary: "Move the deployed stack's dead-lettered messages back to its work queue",
  usage: '[--stack NAME] [--dry-run] [--json]',
  help: [
    'Reads the stack’s outputs (--stack NAME or ATLAS_RESTORE_STACK), says how many messages the dead-letter queue',
    'holds, and starts an SQS message move task from it to the work queue (the destination is given explicitly:',
    'messages Scheduler or EventBridge dead-lettered have no source queue to return to). Redriving is safe: a request',
    'keeps its requestId, so a repeated request is the same operation. Look first (--dry-run moves nothing): a request',
    'refused as malformed is refused again. Needs sqs:GetQueueAttributes and sqs:StartMessageMoveTask on the DLQ.',
    '',
    'Exit status: 0 started (or nothing to move), 2 bad flags or no stack, 1 AWS refused.',
    '',
    'Examples:',
    '  atlas-restore redrive --stack AtlasRestoreOrchestrator --dry-run',
    '  ATLAS_RESTORE_STACK=AtlasRestoreOrchestrator atlas-restore redrive',
  ].join('\n'),
  async run(args, context) {
    const { flags } = parseCommandLine(args, {
      options: {
        stack: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      flags: z.object({ stack: deployedStackFlags.shape.stack, 'dry-run': z.boolean(), json: z.boolean() }),
      positionals: noPositionals,
    });
    const stack = flags.stack ?? stackFromEnvironment(context.env);
    if (stack === undefined) throw new UsageError('--stack: is required (or set ATLAS_RESTORE_STACK)');
    const outputs = await stackOutputValues(stack, context.env, REDRIVE_OUTPUTS);
    const sqs = cliSqsClient(context.env, outputs.DeadLetterQueueUrl);
    try {
      const attributes = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: outputs.DeadLetterQueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      const waiting = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
      const move = waiting > 0 && !flags['dry-run'];
      const taskHandle = move
        ? (
            await sqs.send(
              new StartMessageMoveTaskCommand({
                SourceArn: outputs.DeadLetterQueueArn,
                DestinationArn: outputs.WorkQueueArn,
              }),
            )
          ).TaskHandle
        : undefined;
      const result = {
        stack,
        deadLetterQueueUrl: outputs.DeadLetterQueueUrl,
        messages: waiting,
        moving: move,
        taskHandle,
      };
      if (flags.json) return writeJson(context.stdout, result);
      writeFields(context.stdout, [
        ['Dead-letter queue', outputs.DeadLetterQueueUrl],
        ['Messages', waiting],
        ['Move task', move ? taskHandle : flags['dry-run'] ? 'not started (--dry-run)' : 'nothing to move'],
      ]);
      if (flags['dry-run'] && waiting > 0) {
        context.stdout.write(
          `Look at why each is there first: aws sqs receive-message --queue-url ${outputs.DeadLetterQueueUrl} --max-number-of-messages 10 --visibility-timeout 30 --message-attribute-names All\n`,
        );
      }
      if (move)
        context.stdout.write(`Progress: aws sqs list-message-move-tasks --source-arn ${outputs.DeadLetterQueueArn}\n`);
    } finally {
      sqs.destroy();
    }
  },
};
