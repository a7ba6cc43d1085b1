/**
 * One cold start, in a fresh process: imports the bundle named on the command line (module-scope work included, as
 * Lambda's init does) and prints the timings as one JSON line. Started by cold-start.ts, never imported.
 */
import { pathToFileURL } from 'node:url';

const bundle = process.argv[2];
if (bundle === undefined) throw new Error('usage: cold-start-probe.ts <bundle.mjs>');

const before = performance.now();
const loaded: { handler?: unknown } = await import(pathToFileURL(bundle).href);
const after = performance.now();
if (typeof loaded.handler !== 'function') throw new Error(`${bundle} exports no handler function`);

process.stdout.write(
  `${JSON.stringify({
    importMs: after - before,
    /** performance.now() counts from the process's time origin: runtime bootstrap plus the import. */
    sinceProcessStartMs: after,
    heapUsedBytes: process.memoryUsage().heapUsed,
  })}\n`,
);
