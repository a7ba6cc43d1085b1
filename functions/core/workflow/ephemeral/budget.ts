import type { WorkflowConfig } from '../../config.ts';
import type { Operation } from '../operation.ts';

const HOUR_MS = 3_600_000;

/** Hours between two instants, rounded to the hundredth (cost reports; never negative). */
export function hoursBetween(from: number, to: number): number {
  return Math.max(0, Math.round(((to - from) / HOUR_MS) * 100) / 100);
}

/** Start of the calendar month (UTC) that holds `now`. */
export function monthStart(now: number): number {
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/**
 * USD spent this month by the ephemeral targets of these operations: each cluster's hours within the month (to its
 * deletion, or to now while it lives) at the price recorded when it was claimed.
 */
export function spentThisMonth(operations: readonly Operation[], now: number): number {
  const since = monthStart(now);
  let total = 0;
  for (const { ephemeralCluster: cluster } of operations) {
    if (cluster?.createdAt === undefined || cluster.hourlyPriceUsd === undefined) continue;
    const from = Math.max(cluster.createdAt, since);
    const to = cluster.deletedAt ?? now;
    total += (Math.max(0, to - from) / HOUR_MS) * cluster.hourlyPriceUsd;
  }
  return total;
}

export interface BudgetRefusal {
  readonly code: 'DRILL_BUDGET_EXCEEDED' | 'DRILL_PRICE_UNKNOWN';
  readonly reason: string;
}

/**
 * Refuses a drill whose worst case would take its source past the monthly budget: the month's spend plus this
 * cluster living until the operation's deadline and its hold (the reaper's bound), at the tier's price.
 */
export function checkBudget(input: {
  readonly config: Pick<WorkflowConfig, 'drillMonthlyBudgetUsd' | 'tierPricesUsdPerHour'>;
  readonly instanceSize: string;
  readonly spentUsd: number;
  readonly now: number;
  readonly until: number;
}): BudgetRefusal | undefined {
  const { config, instanceSize, spentUsd, now, until } = input;
  const budget = config.drillMonthlyBudgetUsd;
  if (budget === undefined) return undefined;
  const price = config.tierPricesUsdPerHour.get(instanceSize);
  if (price === undefined) {
    return {
      code: 'DRILL_PRICE_UNKNOWN',
      reason: `DRILL_TIER_PRICES has no price for ${instanceSize}: the drill's cost cannot be checked against DRILL_MONTHLY_BUDGET_USD`,
    };
  }
  const estimate = ((until - now) / HOUR_MS) * price;
  if (spentUsd + estimate > budget) {
    return {
      code: 'DRILL_BUDGET_EXCEEDED',
      reason: `this month's ephemeral targets of the source cost ${usd(spentUsd)}; this drill may cost up to ${usd(estimate)} (${instanceSize} at ${usd(price)}/h until its deadline and hold): over DRILL_MONTHLY_BUDGET_USD ${usd(budget)}`,
    };
  }
  return undefined;
}

export function usd(amount: number): string {
  return `${amount.toFixed(2)} USD`;
}
