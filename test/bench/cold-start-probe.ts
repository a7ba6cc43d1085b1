/**
 * One cold start, in a fresh process: imports the bundle named on the command line (module-scope work included, as
 * Lambda's init does) and prints the timings as one JSON line. With BENCH_FIRST_MESSAGE (an SQS message body) it
 * then hands that message to the handler, as the first invocation of the execution environment, and times it too:
 * what the first Atlas and AWS calls load on first use counts. Started by cold-start.ts, never imported.
 */
import { pathToFileURL } from 'node:url';

type Handler = (event: unknown, context: unknown) => Promise<{ batchItemFailures?: unknown[] } | undefined>;

const bundle = process.argv[2];
if (bundle === undefined) throw new Error('usage: cold-start-probe.ts <bundle.mjs>');
const firstMessage = process.env.BENCH_FIRST_MESSAGE;

const before = performance.now();
const loaded: { handler?: unknown } = await import(pathToFileURL(bundle).href);
const after = performance.now();
if (typeof loaded.handler !== 'function') throw new Error(`${bundle} exports no handler function`);

let firstMessageMs: number | undefined;
if (firstMessage !== undefined) {
  const handler = loaded.handler as Handler;
  const now = String(Date.now());
  const response = await handler(
    {
      Records: [
        {
          messageId: 'first',
          receiptHandle: 'first-receipt',
          body: firstMessage,
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: now,
            SenderId: 'bench',
            ApproximateFirstReceiveTimestamp: now,
          },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: process.env.BENCH_QUEUE_ARN ?? '',
          awsRegion: 'us-east-1',
        },
      ],
    },
    {
      callbackWaitsForEmptyEventLoop: false,
      functionName: 'atlas-restore-bench',
      awsRequestId: 'first',
      getRemainingTimeInMillis: () => 60_000,
    },
  );
  firstMessageMs = performance.now();
  if ((response?.batchItemFailures ?? []).length > 0) throw new Error('the handler failed its first message');
}

process.stdout.write(
  `${JSON.stringify({
    importMs: after - before,
    /** performance.now() counts from the process's time origin: runtime bootstrap plus the import. */
    sinceProcessStartMs: after,
    heapUsedBytes: process.memoryUsage().heapUsed,
    ...(firstMessageMs === undefined ? {} : { firstMessageMs }),
  })}\n`,
  // Keep-alive sockets would hold the process open.
  () => process.exit(0),
);
