import { describe, expect, it } from 'vitest';
import {
  heartbeatEnvironment,
  heartbeatEvent,
  loadEnvironment,
  verifierEnvironment,
} from '../../../../functions/core/verification/config.ts';

const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';

describe('Function: loadEnvironment', () => {
  it("reads the verifier's environment, the database secret and the CA file optional", () => {
    expect(loadEnvironment(verifierEnvironment, { ATLAS_SECRET_ID: 'atlas', LEDGER_TABLE_NAME: 'ledger' })).toEqual({
      ATLAS_SECRET_ID: 'atlas',
      LEDGER_TABLE_NAME: 'ledger',
    });
  });

  it('names the variable and the rule, never a value', () => {
    expect(() => loadEnvironment(verifierEnvironment, { ATLAS_SECRET_ID: 'atlas', LEDGER_TABLE_NAME: 'x' })).toThrow(
      /must be a DynamoDB table name.*LEDGER_TABLE_NAME/,
    );
  });

  it('reads the heartbeat sources as groupId/clusterName and refuses another shape', () => {
    const env = loadEnvironment(heartbeatEnvironment, {
      ATLAS_SECRET_ID: 'atlas',
      HEARTBEAT_DATABASE_SECRET_ID: 'db/heartbeat',
      HEARTBEAT_SOURCES: `${GROUP}/prod, ${GROUP}/orders-2`,
    });
    expect(env.HEARTBEAT_SOURCES).toEqual([
      { groupId: GROUP, clusterName: 'prod' },
      { groupId: GROUP, clusterName: 'orders-2' },
    ]);
    expect(() =>
      loadEnvironment(heartbeatEnvironment, {
        ATLAS_SECRET_ID: 'atlas',
        HEARTBEAT_DATABASE_SECRET_ID: 'db/heartbeat',
        HEARTBEAT_SOURCES: 'prod',
      }),
    ).toThrow(/must be groupId\/clusterName.*HEARTBEAT_SOURCES/);
    expect(heartbeatEvent.parse({ sources: [`${GROUP}/prod`] }).sources).toEqual([
      { groupId: GROUP, clusterName: 'prod' },
    ]);
  });
});
