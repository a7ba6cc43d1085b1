import { parseArgs } from 'node:util';
import { SimulatedClock } from './clock.ts';
import { startAtlasSimulator } from './server.ts';

/**
 * `npm run sim [-- --port 8080 --scale 60 --snapshot-in-progress --sharded]`: serves the simulator until killed and
 * prints one JSON line with its URL, seeded credentials and ids.
 */
const HELP = `Usage: npm run sim -s -- [options]

Serves the Atlas Admin API simulator on 127.0.0.1 until killed (Ctrl-C), and prints one JSON line on stdout: its
baseUrl, the seeded project and clusters, snapshot ids and credentials (service account and API key), each
cluster's connection string (connectionStrings: MongoDB wire protocol, TLS), the CA file the driver must trust
(caFile) and the seeded database users (databaseUsers: verifier, heartbeatWriter).

Options:
  --port N                  port to listen on (default 0: any free port)
  --scale N                 simulated seconds per real second (default 1; 0 freezes the clock). Restore jobs take
                            minutes of simulated time, so --scale 60 finishes them in seconds
  --snapshot-in-progress    seed an on-demand snapshot of the source that is still being taken
  --sharded                 seed sharded clusters
  -h, --help                this text

Example:
  npm run sim -s -- --scale 60 > sim.json &
  export MONGODB_ATLAS_BASE_URL=$(jq -r .baseUrl sim.json) MONGODB_ATLAS_CLIENT_ID=$(jq -r .clientId sim.json) \\
    MONGODB_ATLAS_CLIENT_SECRET=$(jq -r .clientSecret sim.json)
  mongosh "$(jq -r '.connectionStrings["orders-prod"]' sim.json)" --tlsCAFile "$(jq -r .caFile sim.json)" \\
    -u drill-verifier -p "$(jq -r .databaseUsers.verifier.password sim.json)"
`;

let values: { port: string; scale: string; 'snapshot-in-progress': boolean; sharded: boolean; help: boolean };
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      scale: { type: 'string', default: '1' },
      'snapshot-in-progress': { type: 'boolean', default: false },
      sharded: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  process.stderr.write(`atlas simulator: ${error instanceof Error ? error.message : String(error)} (see --help)\n`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const port = Number(values.port);
const scale = Number(values.scale);
if (!Number.isInteger(port) || port < 0 || port > 65_535 || !Number.isFinite(scale) || scale < 0) {
  process.stderr.write('atlas simulator: --port must be 0 to 65535 and --scale a number of 0 or more (see --help)\n');
  process.exit(2);
}

const simulator = await startAtlasSimulator({
  port,
  clock: new SimulatedClock({ scale }),
  seed: { onDemandSnapshotInProgress: values['snapshot-in-progress'], sharded: values.sharded },
});
const { credentials, databaseUsers, ...ids } = simulator.seed;
const { caFile } = await simulator.dataPlane.ready();
const clusterNames = [ids.sourceClusterName, ids.targetClusterName, ids.shardedClusterName].filter(
  (name): name is string => name !== undefined && name !== '',
);
const connectionStrings = Object.fromEntries(
  await Promise.all(
    clusterNames.map(async (name) => [name, await simulator.dataPlane.connectionString(ids.groupId, name)] as const),
  ),
);
process.stdout.write(
  `${JSON.stringify({ baseUrl: simulator.baseUrl, ...ids, ...credentials, connectionStrings, caFile, databaseUsers })}\n`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    simulator.close().then(() => process.exit(0));
  });
}
