import { createHash } from 'node:crypto';
import { AtlasError } from './errors.ts';
import type { ClusterRecord } from './records.ts';
import { link } from './render.ts';
import type { SimulatorStore } from './state.ts';
import type { Pagination } from './validation.ts';

export interface OperationRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly path: string;
}

export interface OperationResult {
  readonly status: number;
  readonly body?: unknown;
}

export type Operation = (store: SimulatorStore, request: OperationRequest) => OperationResult;

export function requireCluster(store: SimulatorStore, params: Readonly<Record<string, string>>): ClusterRecord {
  const groupId = params.groupId ?? '';
  const clusterName = params.clusterName ?? '';
  if (!store.hasProject(groupId)) {
    throw new AtlasError(404, 'GROUP_NOT_FOUND', `No group with ID ${groupId} exists.`, { parameters: [groupId] });
  }
  if (store.isFlexCluster(groupId, clusterName)) {
    // Atlas keeps Flex clusters behind their own endpoints (/flexClusters/{name}, and its backup/restoreJobs).
    throw new AtlasError(
      400,
      'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API',
      `Flex cluster ${clusterName} cannot be used in the Cluster API.`,
      { parameters: [clusterName] },
    );
  }
  const cluster = store.findCluster(groupId, clusterName);
  if (!cluster) {
    throw new AtlasError(404, 'CLUSTER_NOT_FOUND', `No cluster named ${clusterName} exists in group ${groupId}.`, {
      parameters: [clusterName, groupId],
    });
  }
  return cluster;
}

/**
 * One page of a list, with `links` and (unless `includeCount=false`) `totalCount`. Atlas documents no order, so the
 * simulator answers a stable order that is not chronological (by a hash of the id): clients must sort.
 */
export function paginate<T extends { readonly id: string }>(
  items: readonly T[],
  page: Pagination,
  context: { baseUrl: string; path: string },
): { results: T[]; totalCount?: number; links: { href: string; rel: string }[] } {
  const ordered = [...items].sort((a, b) => scramble(a.id).localeCompare(scramble(b.id)));
  const start = (page.pageNum - 1) * page.itemsPerPage;
  const pageLink = (pageNum: number, rel: string) =>
    link(context, `${context.path}?pageNum=${pageNum}&itemsPerPage=${page.itemsPerPage}`, rel);
  const links = [pageLink(page.pageNum, 'self')];
  if (page.pageNum > 1) links.push(pageLink(page.pageNum - 1, 'previous'));
  if (start + page.itemsPerPage < ordered.length) links.push(pageLink(page.pageNum + 1, 'next'));
  return {
    results: ordered.slice(start, start + page.itemsPerPage),
    ...(page.includeCount ? { totalCount: ordered.length } : {}),
    links,
  };
}

function scramble(id: string): string {
  return createHash('md5').update(id).digest('hex');
}
