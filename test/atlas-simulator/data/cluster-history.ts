import { ClusterData } from './cluster-data.ts';

/**
 * A cluster's data through time. A restore restarts the cluster's oplog (`ClusterData.replaceWith`), so the data as
 * it was before the restore is kept aside: a snapshot taken before the restore still captures what it saw, and it is
 * computed only when a restore needs it (no copy per snapshot).
 */
export class ClusterHistory {
  readonly #data = new ClusterData();
  #seed: ((data: ClusterData) => void) | undefined;
  /** The data before each restore, oldest first: it answers every instant before `until`. */
  readonly #before: { readonly until: number; readonly data: ClusterData }[] = [];

  /** The live data the wire server reads and writes. */
  get data(): ClusterData {
    const seed = this.#seed;
    this.#seed = undefined;
    seed?.(this.#data);
    return this.#data;
  }

  /** Writes `seed` into the data on first use (seeded worlds cost nothing until a test reads their data). */
  seedLazily(seed: (data: ClusterData) => void): void {
    this.#seed = seed;
  }

  /** The data as it was at `at` (writes at `at` included). */
  stateAt(at: number): ClusterData {
    const earlier = this.#before.find((epoch) => at < epoch.until);
    return (earlier?.data ?? this.data).stateAt(at);
  }

  /** A restore completing at `at`: the data becomes `source`'s, the history before it stays readable. */
  replaceWith(source: ClusterData, at: number): void {
    this.#before.push({ until: at, data: this.data.stateAt(Number.POSITIVE_INFINITY) });
    this.data.replaceWith(source, at);
  }
}
