import * as z from 'zod';
import type { AtlasApi, ClusterRef } from '../atlas/api.ts';

const connectionStrings = z.looseObject({
  connectionStrings: z.looseObject({ standard: z.string().min(1).nullish() }).nullish(),
});

export class ConnectionStringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionStringError';
  }
}

/**
 * The cluster's `connectionStrings.standard` from getCluster: a `mongodb://` seed list, so no SRV lookup is needed
 * (a VPC without DNS to Atlas's SRV records, and the simulator, work alike). It holds no credentials.
 */
export async function standardConnectionString(
  atlas: Pick<AtlasApi, 'getCluster'>,
  cluster: ClusterRef,
  options: { readonly deadline: number },
): Promise<string> {
  const described = await atlas.getCluster(cluster, { deadline: options.deadline });
  const parsed = connectionStrings.safeParse(described);
  const standard = parsed.success ? parsed.data.connectionStrings?.standard : undefined;
  if (!standard) {
    throw new ConnectionStringError(
      `Atlas gave no connectionStrings.standard for ${cluster.groupId}/${cluster.clusterName} (state ${described.stateName})`,
    );
  }
  return standard;
}
