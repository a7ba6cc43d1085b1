import { describe, expect, it } from 'vitest';
import { workflowConfig } from '../../../../functions/core/config.ts';
import { checkBudget, spentThisMonth } from '../../../../functions/core/workflow/ephemeral/budget.ts';
import { checkGuardrails } from '../../../../functions/core/workflow/guardrails.ts';
import type { EphemeralCluster, Operation } from '../../../../functions/core/workflow/operation.ts';
import { GROUP, requests } from './fakes.ts';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 28, 6, 0, 0);
const DRILL_PROJECT = '6a1b2c3d4e5f6a7b8c9d0e1f';

function withCluster(cluster: Partial<EphemeralCluster>): Operation {
  return {
    ephemeralCluster: {
      groupId: DRILL_PROJECT,
      clusterName: 'drill-0123456789',
      createdByOperation: 'op',
      claimToken: 'e',
      claimedAt: 0,
      instanceSize: 'M30',
      ...cluster,
    },
  } as Operation;
}

describe('Ephemeral targets: budget', () => {
  it("counts each cluster's hours within this month only, at its recorded price, the living ones to now", () => {
    // Prepare
    const monthStart = Date.UTC(2026, 10, 1);
    const operations = [
      withCluster({ createdAt: monthStart - 2 * HOUR, deletedAt: monthStart + HOUR, hourlyPriceUsd: 1 }),
      withCluster({ createdAt: NOW - 3 * HOUR, deletedAt: NOW - HOUR, hourlyPriceUsd: 0.5 }),
      withCluster({ createdAt: NOW - HOUR, hourlyPriceUsd: 2 }),
      withCluster({ createdAt: monthStart - 10 * HOUR, deletedAt: monthStart - HOUR, hourlyPriceUsd: 5 }),
      withCluster({ createdAt: NOW - HOUR }),
      withCluster({ hourlyPriceUsd: 9 }),
    ];

    // Act
    const spent = spentThisMonth(operations, NOW);

    // Assess: 1 h × 1 + 2 h × 0.5 + 1 h × 2; last month's cluster and unpriced or uncreated ones add nothing
    expect(spent).toBeCloseTo(4, 6);
  });

  it('refuses only past the budget, and a tier without a price only under a budget', () => {
    // Prepare
    const config = workflowConfig({ tierPricesUsdPerHour: { M10: 0.1 }, drillMonthlyBudgetUsd: 10 });
    const check = (spentUsd: number, instanceSize = 'M10', budget: number | null = 10) =>
      checkBudget({
        config: { ...config, drillMonthlyBudgetUsd: budget ?? undefined },
        instanceSize,
        spentUsd,
        now: NOW,
        until: NOW + 50 * HOUR,
      });

    // Assess: this drill may cost 5 USD
    expect(check(5)).toBeUndefined();
    expect(check(5.01)?.code).toBe('DRILL_BUDGET_EXCEEDED');
    expect(check(0, 'M40')?.code).toBe('DRILL_PRICE_UNKNOWN');
    expect(check(1000, 'M40', null)).toBeUndefined();
  });
});

describe('Ephemeral targets: guardrails', () => {
  const { targetGroupId: _g, targetClusterName: _n, ...base } = requests.automated();
  const request = { ...base, ephemeralTarget: { groupId: DRILL_PROJECT } };
  const config = workflowConfig({ allowedSources: [`${GROUP}/prod`], allowedDrillProjects: [DRILL_PROJECT] });
  const created: EphemeralCluster = {
    groupId: DRILL_PROJECT,
    clusterName: 'drill-0123456789',
    createdByOperation: 'op-1',
    claimToken: 'e',
    claimedAt: 0,
    instanceSize: 'M10',
    createdAt: 1,
  };
  const targeted = { ...request, targetGroupId: DRILL_PROJECT, targetClusterName: 'drill-0123456789' };

  it('allows the target this operation created in an allowed drill project', () => {
    expect(checkGuardrails(targeted, config, { operationId: 'op-1', ephemeralCluster: created })).toBeUndefined();
  });

  it.each([
    ['no record at all (a name alone)', undefined, 'op-1'],
    ['a record of another operation', created, 'op-2'],
    ['a record of another cluster', { ...created, clusterName: 'drill-9999999999' }, 'op-1'],
    ['a create Atlas refused', { ...created, createRefused: 'QUOTA' }, 'op-1'],
    ['a claim without a creation', { ...created, createdAt: undefined }, 'op-1'],
  ] as const)('refuses %s', (_name, record, operationId) => {
    const operation =
      record === undefined ? { operationId } : { operationId, ephemeralCluster: record as EphemeralCluster };
    expect(checkGuardrails(targeted, config, operation)?.code).toBe('TARGET_NOT_ALLOWED');
  });

  it('refuses a named target in a drill project when no operation record is given at all', () => {
    expect(checkGuardrails(targeted, config)?.code).toBe('TARGET_NOT_ALLOWED');
  });

  it("refuses this operation's cluster when its record is in another project than the request's drill project", () => {
    // Prepare: the record and the target it gives (as provisioning builds it) are in a project not allowed for drills.
    const elsewhere = '7b2c3d4e5f6a7b8c9d0e1f2a';
    const record: EphemeralCluster = { ...created, groupId: elsewhere };
    const onto = { ...targeted, targetGroupId: elsewhere };

    // Act
    const refusal = checkGuardrails(onto, config, { operationId: 'op-1', ephemeralCluster: record });

    // Assess
    expect(refusal?.code).toBe('TARGET_NOT_ALLOWED');
  });

  it('refuses a drill project not in ALLOWED_DRILL_PROJECTS before anything exists', () => {
    const other = { ...request, ephemeralTarget: { groupId: '7b2c3d4e5f6a7b8c9d0e1f2a' } };
    expect(checkGuardrails(other, config, { operationId: 'op-1' })?.code).toBe('DRILL_PROJECT_NOT_ALLOWED');
  });
});
