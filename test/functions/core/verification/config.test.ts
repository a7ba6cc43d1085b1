import { describe, expect, it } from 'vitest';
import { parseLambdaEnvironment } from '../../../../functions/core/lambda-environment.ts';
import {
  heartbeatEnvironment,
  heartbeatEvent,
  verifierEnvironment,
} from '../../../../functions/core/verification/config.ts';

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';

describe('Function: parseLambdaEnvironment, the driver functions’ environments', () => {
  it("reads the verifier's environment, the database secret and the CA file optional", () => {
    expect(
      parseLambdaEnvironment(verifierEnvironment, { ATLAS_SECRET_ID: 'atlas', LEDGER_TABLE_NAME: 'ledger' }),
    ).toEqual({
      ATLAS_SECRET_ID: 'atlas',
      LEDGER_TABLE_NAME: 'ledger',
    });
  });

  it('names the variable and the rule, never a value', () => {
    expect(() =>
      parseLambdaEnvironment(verifierEnvironment, { ATLAS_SECRET_ID: 'atlas', LEDGER_TABLE_NAME: 'x' }),
    ).toThrow(/LEDGER_TABLE_NAME: must be a DynamoDB table name/);
  });

  it('reads the heartbeat sources as groupId/clusterName and refuses another shape', () => {
    const env = parseLambdaEnvironment(heartbeatEnvironment, {
      ATLAS_SECRET_ID: 'atlas',
      HEARTBEAT_DATABASE_SECRET_ID: 'db/heartbeat',
      HEARTBEAT_SOURCES: `${GROUP}/prod, ${GROUP}/orders-2`,
    });
    expect(env.HEARTBEAT_SOURCES).toEqual([
      { groupId: GROUP, clusterName: 'prod' },
      { groupId: GROUP, clusterName: 'orders-2' },
    ]);
    expect(() =>
      parseLambdaEnvironment(heartbeatEnvironment, {
        ATLAS_SECRET_ID: 'atlas',
        HEARTBEAT_DATABASE_SECRET_ID: 'db/heartbeat',
        HEARTBEAT_SOURCES: 'prod',
      }),
    ).toThrow(/HEARTBEAT_SOURCES.*must be groupId\/clusterName/);
    expect(heartbeatEvent.parse({ sources: [`${GROUP}/prod`] }).sources).toEqual([
      { groupId: GROUP, clusterName: 'prod' },
    ]);
  });
});
