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
  it('accepts drill projects, a hold, a grace, a price per tier and a budget per drill', () => {
    // Act
    const config = parseOrchestratorConfig({
      ...sampleConfig(),
      allowedDrillProjects: [DRILL_PROJECT],
      ephemeralHoldMinutes: 120,
      reaperGraceMinutes: 30,
      drillTierHourlyPricesUsd: { M10: 0.08, M30: 0.54, R40: 1.2 },
      drillMonthlyBudgetsUsd: { 'weekly-prod-drill': 40 },
    });

    // Assess
    expect(config).toMatchObject({
      allowedDrillProjects: [DRILL_PROJECT],
      ephemeralHoldMinutes: 120,
      reaperGraceMinutes: 30,
      drillTierHourlyPricesUsd: { M10: 0.08, M30: 0.54, R40: 1.2 },
      drillMonthlyBudgetsUsd: { 'weekly-prod-drill': 40 },
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
      'a budget for a drill that is not scheduled',
      {
        ...sampleConfig(),
        allowedDrillProjects: [DRILL_PROJECT],
        drillTierHourlyPricesUsd: { M10: 0.08 },
        drillMonthlyBudgetsUsd: { 'nightly-drill': 10 },
      },
      'atlasRestore.drillMonthlyBudgetsUsd.nightly-drill',
      /names no drill in schedules/,
    ],
    [
      'a budget without a price table',
      { ...sampleConfig(), allowedDrillProjects: [DRILL_PROJECT], drillMonthlyBudgetsUsd: { 'weekly-prod-drill': 10 } },
      'atlasRestore.drillTierHourlyPricesUsd',
      /must price the tiers/,
    ],
    [
      'prices while ephemeral drills are off',
      { ...sampleConfig(), drillTierHourlyPricesUsd: { M10: 0.08 } },
      'atlasRestore.drillTierHourlyPricesUsd',
      /without allowedDrillProjects/,
    ],
    [
      'a negative price',
      { ...sampleConfig(), allowedDrillProjects: [DRILL_PROJECT], drillTierHourlyPricesUsd: { M10: -1 } },
      'atlasRestore.drillTierHourlyPricesUsd.M10',
      /0 or more/,
    ],
    [
      'a price for something that is not a tier',
      { ...sampleConfig(), allowedDrillProjects: [DRILL_PROJECT], drillTierHourlyPricesUsd: { 'm 10': 1 } },
      'atlasRestore.drillTierHourlyPricesUsd.m 10',
      /Atlas tier/,
    ],
    [
      'a reaper grace too short to let a teardown finish',
      { ...sampleConfig(), allowedDrillProjects: [DRILL_PROJECT], reaperGraceMinutes: 1 },
      'atlasRestore.reaperGraceMinutes',
      /at least 5/,
    ],
  ])('refuses %s, naming the key', (_case, input, key, rule) => {
    // Act
    const issues = issuesOf(input);

    // Assess
    expect(issues).toContainEqual({ key, message: expect.stringMatching(rule) });
  });
});
