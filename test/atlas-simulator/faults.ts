import type { Fault, FaultInjector, FaultMatch } from './types.ts';

interface ScriptedFault {
  readonly match: FaultMatch;
  readonly fault: Fault;
  remaining: number;
}

/** Faults a test scripts for the next matching requests, tried in injection order. */
export class FaultScript implements FaultInjector {
  readonly #faults: ScriptedFault[] = [];

  inject(match: FaultMatch, fault: Fault): void {
    const times = match.times ?? 1;
    if (!(times >= 1)) throw new RangeError(`times must be at least 1, got ${times}`);
    this.#faults.push({ match, fault, remaining: times });
  }

  clear(): void {
    this.#faults.length = 0;
  }

  get pending(): number {
    return this.#faults.filter((scripted) => scripted.remaining > 0).length;
  }

  /** The fault for this request, if one matches; it counts as one hit. */
  take(request: { operationId: string | undefined; method: string; path: string }): Fault | undefined {
    const scripted = this.#faults.find(({ match, remaining }) => remaining > 0 && matches(match, request));
    if (!scripted) return undefined;
    scripted.remaining -= 1;
    return scripted.fault;
  }
}

function matches(
  match: FaultMatch,
  request: { operationId: string | undefined; method: string; path: string },
): boolean {
  return (
    (match.operationId === undefined || match.operationId === request.operationId) &&
    (match.method === undefined || match.method.toUpperCase() === request.method) &&
    (match.pathIncludes === undefined || request.path.includes(match.pathIncludes))
  );
}
