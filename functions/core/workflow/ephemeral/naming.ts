import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { ResourceTag as ClusterTag } from '../../atlas/model.ts';
import {
  DEFAULT_EPHEMERAL_NAME_PREFIX,
  EPHEMERAL_NAME_HASH_LENGTH,
  type EphemeralTarget,
} from '../../contract/ephemeral-target.ts';

/** Tag keys every ephemeral target carries: the delete path requires both, with these values. */
export const OPERATION_TAG_KEY = 'atlas-restore-operation';
export const CREATOR_TAG_KEY = 'atlas-restore-created-by';
export const CREATOR_TAG_VALUE = 'atlas-restore-orchestrator';

export function namePrefixOf(target: EphemeralTarget): string {
  return target.namePrefix ?? DEFAULT_EPHEMERAL_NAME_PREFIX;
}

/**
 * The cluster's name: the prefix and a short hash of the operation id. One name per operation, so Atlas itself
 * refuses a second cluster of it (DUPLICATE_CLUSTER_NAME), and an attempt whose answer was lost finds it by name.
 */
export function ephemeralClusterName(target: EphemeralTarget, operationId: string): string {
  const hash = createHash('sha256').update(operationId).digest('hex').slice(0, EPHEMERAL_NAME_HASH_LENGTH);
  return `${namePrefixOf(target)}${hash}`;
}

export function ephemeralClusterTags(operationId: string): ClusterTag[] {
  return [
    { key: OPERATION_TAG_KEY, value: operationId },
    { key: CREATOR_TAG_KEY, value: CREATOR_TAG_VALUE },
  ];
}

const taggedCluster = z.looseObject({
  name: z.string(),
  tags: z
    .array(z.looseObject({ key: z.string(), value: z.string() }))
    .nullish()
    .transform((tags) => tags ?? []),
});

/** A cluster's name and tags as getCluster gives them; undefined when it has no name or malformed tags. */
export function clusterNameAndTags(cluster: unknown): { name: string; tags: ClusterTag[] } | undefined {
  const parsed = taggedCluster.safeParse(cluster);
  return parsed.success ? { name: parsed.data.name, tags: parsed.data.tags } : undefined;
}

/** Whether the cluster carries the tags this tool gives the ephemeral target of `operationId`. */
export function carriesOperationTags(tags: readonly ClusterTag[], operationId: string): boolean {
  const tagged = (key: string, value: string) => tags.some((tag) => tag.key === key && tag.value === value);
  const foreign = tags.some((tag) => tag.key === OPERATION_TAG_KEY && tag.value !== operationId);
  return tagged(OPERATION_TAG_KEY, operationId) && tagged(CREATOR_TAG_KEY, CREATOR_TAG_VALUE) && !foreign;
}
