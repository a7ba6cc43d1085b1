import { parseArgs } from 'node:util';
import { SimulatedClock } from './clock.ts';
import { startAtlasSimulator } from './server.ts';

/**
 * `npm run sim [-- --port 8080 --scale 60 --snapshot-in-progress --sharded]`: serves the simulator until killed and
 * prints one JSON line with its URL, seeded credentials and ids.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    scale: { type: 'string', default: '1' },
    'snapshot-in-progress': { type: 'boolean', default: false },
    sharded: { type: 'boolean', default: false },
  },
});

const simulator = await startAtlasSimulator({
  port: Number(values.port),
  clock: new SimulatedClock({ scale: Number(values.scale) }),
  seed: { onDemandSnapshotInProgress: values['snapshot-in-progress'], sharded: values.sharded },
});
const { credentials, ...ids } = simulator.seed;
process.stdout.write(`${JSON.stringify({ baseUrl: simulator.baseUrl, ...ids, ...credentials })}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    simulator.close().then(() => process.exit(0));
  });
}
