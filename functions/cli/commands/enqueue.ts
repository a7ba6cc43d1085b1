import { SendMessageCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import type { RestoreRequest } from '../../core/contract/restore-request.ts';
import { cliSqsClient, queueProblem } from '../aws-clients.ts';
import { type CliCommand, parseCommandLine, UsageError } from '../command.ts';
import { deployedStackFlags, resolveDeployedStack, stackFromEnvironment } from '../deployed-stack.ts';
import { checkMessage, readMessageFile } from '../message-file.ts';
import { describeRequest } from '../operation-narrative.ts';
import { writeJson } from '../output.ts';
import {
  deliveryTypeArgument,
  newRequestId,
  restoreRequestFlags,
  restoreRequestFromFlags,
  restoreRequestOptions,
} from '../restore-flags.ts';

const queueUrl = z.url({ protocol: /^https?$/, error: 'must be an SQS queue URL' });

export const enqueue: CliCommand = {
  name: 'enqueue',
  summary: 'Validate a restore request and send it to the deployed work queue',
  usage:
    '(automated|download|pointInTime --projectId ID --clusterName NAME [restore flags as for start] | --message FILE|-) [--dry-run] [--stack NAME | --queueUrl URL] [--json]',
  help: [
    'The deployed Lambda runs the request, with its own allow-list and timings. The queue URL comes from',
    '--queueUrl, --stack NAME (its WorkQueueUrl output), ATLAS_RESTORE_QUEUE_URL or ATLAS_RESTORE_STACK, in that',
    'order; the region from the queue URL, credentials from the usual AWS variables and profiles',
    '(AWS_ENDPOINT_URL_SQS points at another SQS endpoint). Prints the SQS message id and the operation id to look',
    'for in `atlas-restore history`. A request without requestId gets one (cli-<time>-<random>) before it is sent:',
    'the work queue refuses requests without one, and a retried send must be the same operation.',
    '',
    'Exit status: 0 sent, 2 invalid request or flags, 1 SQS refused or could not be reached.',
    '',
    'Examples:',
    '  atlas-restore enqueue automated --projectId 5f1a2b3c4d5e6f7a8b9c0d1e --clusterName prod \\',
    '      --targetProjectId 5f1a2b3c4d5e6f7a8b9c0d1e --targetClusterName dr-drill --requestId drill-2026-11-28',
    '  atlas-restore enqueue --message drill.json --queueUrl https://sqs.eu-west-1.amazonaws.com/123456789012/work',
  ].join('\n'),
  async run(args, context) {
    const { flags, positionals } = parseCommandLine(args, {
      options: {
        ...restoreRequestOptions,
        message: { type: 'string' },
        queueUrl: { type: 'string' },
        stack: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      flags: restoreRequestFlags.extend({
        message: z.string().min(1).optional(),
        queueUrl: queueUrl.optional(),
        stack: deployedStackFlags.shape.stack,
        'dry-run': z.boolean(),
        json: z.boolean(),
      }),
      positionals: z.tuple([deliveryTypeArgument.optional()], z.never({ error: 'unexpected extra argument' })),
      positionalNames: ['DELIVERY_TYPE'],
    });
    if (flags.stack !== undefined && flags.queueUrl !== undefined) {
      throw new UsageError('--stack: not with --queueUrl (the stack names its queue)');
    }
    const fromEnvironment = context.env.ATLAS_RESTORE_QUEUE_URL || undefined;
    const stack = flags.stack ?? (flags.queueUrl || fromEnvironment ? undefined : stackFromEnvironment(context.env));
    const outgoing = await outgoingMessage(positionals[0], flags);
    const url =
      flags.queueUrl ??
      (stack === undefined ? fromEnvironment : (await resolveDeployedStack({ stack }, context.env))?.queueUrl);
    if (url === undefined || url === '')
      throw new UsageError('--queueUrl: is required (or --stack NAME, ATLAS_RESTORE_QUEUE_URL or ATLAS_RESTORE_STACK)');
    const checkedUrl = queueUrl.safeParse(url);
    if (!checkedUrl.success) throw new UsageError(`ATLAS_RESTORE_QUEUE_URL: ${checkedUrl.error.issues[0]?.message}`);

    const sqs = cliSqsClient(context.env, checkedUrl.data);
    try {
      const sent = await sqs
        .send(new SendMessageCommand({ QueueUrl: checkedUrl.data, MessageBody: outgoing.body }))
        .catch((error: unknown) => {
          throw queueProblem(error, checkedUrl.data);
        });
      const messageId = sent.MessageId ?? '';
      const operationId = outgoing.requestId;
      if (flags.json) return writeJson(context.stdout, { messageId, operationId, queueUrl: checkedUrl.data });
      context.stdout.write(
        `queued ${describeRequest(outgoing.request)}\nmessage ${messageId}, operation ${operationId}\n`,
      );
    } finally {
      sqs.destroy();
    }
  },
};

interface Outgoing {
  readonly body: string;
  readonly request: RestoreRequest;
  /** Fixed before the first send: the SDK's retries of SendMessage carry it, so they are one operation. */
  readonly requestId: string;
}

/**
 * The body to send: a checked file sent as written (an event stays an event), or a request built from flags. A
 * request without requestId gets one here (in the event's `detail` for an event): the work queue refuses it without.
 */
async function outgoingMessage(
  type: z.infer<typeof deliveryTypeArgument> | undefined,
  flags: z.infer<typeof restoreRequestFlags> & { message?: string | undefined; 'dry-run': boolean },
): Promise<Outgoing> {
  if (flags.message === undefined) {
    if (type === undefined) throw new UsageError('DELIVERY_TYPE: is required (or pass --message FILE)');
    const built = restoreRequestFromFlags(type, flags, { dryRun: flags['dry-run'] });
    const request = { ...built, requestId: built.requestId ?? newRequestId() };
    return { body: JSON.stringify(request), request, requestId: request.requestId };
  }
  const stray = [
    type,
    ...Object.keys(restoreRequestOptions).map((key) => flags[key as keyof typeof restoreRequestOptions]),
  ];
  if (stray.some((value) => value !== undefined) || flags['dry-run']) {
    throw new UsageError('--message: give the request in the file or as flags, not both');
  }
  const body = (await readMessageFile(flags.message)).trim();
  const message = checkMessage(flags.message, body);
  if (message.kind === 'internal') {
    throw new UsageError(`${flags.message}: internal step messages are sent by the workflow only`);
  }
  if (message.request.requestId !== undefined) {
    return { body, request: message.request, requestId: message.request.requestId };
  }
  const requestId = newRequestId();
  // The file parsed as JSON, and is an object: checkMessage accepted it.
  const written = JSON.parse(body) as Record<string, unknown>;
  const withId =
    message.eventId === undefined
      ? { ...written, requestId }
      : { ...written, detail: { ...(written.detail as Record<string, unknown>), requestId } };
  return { body: JSON.stringify(withId), request: { ...message.request, requestId }, requestId };
}
