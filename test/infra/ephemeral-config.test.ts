import { describe, expect, it } from 'vitest';
import { ConfigError, type OrchestratorConfigInput, parseOrchestratorConfig } from '../../infra/config.ts';
import { sampleConfig } from './synth.ts';

const DRILL_PROJECT = '6a1b2c3d4e5f6a7b8c9d0e1f';

function issuesOf(input: OrchestratorConfigInput): readonly { key: string; message: string }[] {
  try {
    parseOrchestratorConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe('Function: parseOrchestratorConfig, ephemeral drill targets', () => {
  it('accepts drill projects, a price per tier and a monthly budget', () => {
    // Act
    const config = parseOrchestratorConfig({
      ...sampleConfig(),
      allowedDrillProjects: [DRILL_PROJECT],
      drillTierPricesUsdPerHour: { M10: 0.08, M30: 0.54, R40: 1.2, M40_NVME: 2.5 },
      drillMonthlyBudgetUsd: 40,
    });

    // Assess
    expect(config).toMatchObject({
      allowedDrillProjects: [DRILL_PROJECT],
      drillTierPricesUsdPerHour: { M10: 0.08, M30: 0.54, R40: 1.2, M40_NVME: 2.5 },
      drillMonthlyBudgetUsd: 40,
    });
  });

  it.each<[string, OrchestratorConfigInput, string, RegExp]>([
    [
      'a drill project that is not a project id',
      { ...sampleConfig(), allowedDrillProjects: ['drills'] },
      'atlasRestore.allowedDrillProjects[0]',
      /./,
    ],
    [
      'a budget without a price table',
      { ...sampleConfig(), allowedDrillProjects: [DRILL_PROJECT], drillMonthlyBudgetUsd: 10 },
      'atlasRestore.drillTierPricesUsdPerHour',
      /must price the tiers/,
    ],
    [
      'prices while ephemeral drills are off',
      { ...sampleConfig(), drillTierPricesUsdPerHour: { M10: 0.08 } },
      'atlasRestore.drillTierPricesUsdPerHour',
      /without allowedDrillProjects/,
    ],
    [
      'a budget while ephemeral drills are off',
      { ...sampleConfig(), drillMonthlyBudgetUsd: 10 },
      'atlasRestore.drillMonthlyBudgetUsd',
      /without allowedDrillProjects/,
    ],
    [
      'a negative price',
      { ...sampleConfig(), allowedDrillProjects: [DRILL_PROJECT], drillTierPricesUsdPerHour: { M10: -1 } },
      'atlasRestore.drillTierPricesUsdPerHour.M10',
      /0 or more/,
    ],
    [
      'a price for something that is not a tier',
      { ...sampleConfig(), allowedDrillProjects: [DRILL_PROJECT], drillTierPricesUsdPerHour: { 'm 10': 1 } },
      'atlasRestore.drillTierPricesUsdPerHour.m 10',
      /Atlas tier/,
    ],
  ])('refuses %s, naming the key', (_case, input, key, rule) => {
    // Act
    const issues = issuesOf(input);

    // Assess
    expect(issues).toContainEqual({ key, message: expect.stringMatching(rule) });
  });
});
