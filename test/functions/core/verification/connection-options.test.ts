import { describe, expect, it } from 'vitest';
import {
  checkedConnectionString,
  clientSettings,
  withoutCredentials,
} from '../../../../functions/core/verification/connection-options.ts';
import { DatabaseError } from '../../../../functions/core/verification/database-port.ts';

const standard = 'mongodb://127.0.0.1:27017/?tls=true&authSource=admin&replicaSet=atlas-abc-shard-0';
const request = {
  connectionString: standard,
  login: { username: 'verifier', password: 'p4ssw0rd-secret' },
  role: 'source',
  deadline: 100_000,
} as const;

function refusal(run: () => unknown): DatabaseError {
  try {
    run();
  } catch (error) {
    if (error instanceof DatabaseError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('Function: checkedConnectionString', () => {
  it.each([
    'mongodb://h:1/?tls=false',
    'mongodb://h:1/?ssl=FALSE',
    'mongodb://h:1/?tlsInsecure=true',
    'mongodb://h:1/?tlsAllowInvalidCertificates=true',
    'mongodb://h:1/?tlsAllowInvalidHostnames=true',
  ])('refuses %s: TLS is required', (uri) => {
    expect(refusal(() => checkedConnectionString(uri))).toMatchObject({ code: 'INVALID_CONNECTION_STRING' });
  });

  it('refuses credentials in the string without quoting them', () => {
    const error = refusal(() => checkedConnectionString('mongodb://user:hunter2@h:1/'));
    expect(error.message).not.toContain('hunter2');
  });

  it('accepts the standard and SRV strings Atlas gives', () => {
    expect(checkedConnectionString(standard)).toBe(standard);
    expect(checkedConnectionString('mongodb+srv://c0.abcde.mongodb.net')).toBe('mongodb+srv://c0.abcde.mongodb.net');
  });
});

describe('Function: clientSettings', () => {
  it('turns TLS on, gives the CA file, the login as options, a small pool and secondaries for a source', () => {
    const { uri, options } = clientSettings(request, { appName: 'verifier', tlsCAFile: '/ca.pem', now: 40_000 });
    expect(uri).toBe(standard);
    expect(options).toMatchObject({
      tls: true,
      tlsCAFile: '/ca.pem',
      auth: { username: 'verifier', password: 'p4ssw0rd-secret' },
      authSource: 'admin',
      appName: 'verifier',
      readPreference: 'secondaryPreferred',
      maxPoolSize: 2,
    });
  });

  it('reads a target from its primary', () => {
    expect(clientSettings({ ...request, role: 'target' }, { appName: 'v', now: 0 }).options.readPreference).toBe(
      'primary',
    );
  });

  it('bounds every wait by the time left', () => {
    const { options } = clientSettings(request, { appName: 'v', now: 94_000 });
    expect(options.serverSelectionTimeoutMS).toBe(2_000);
    expect(options.socketTimeoutMS).toBe(6_000);
    const roomy = clientSettings(request, { appName: 'v', now: 0 }).options;
    expect(roomy.serverSelectionTimeoutMS).toBe(15_000);
  });

  it('does not connect with less than two seconds left', () => {
    expect(refusal(() => clientSettings(request, { appName: 'v', now: 99_000 }))).toMatchObject({
      code: 'CANNOT_CONNECT',
    });
  });
});

describe('Function: withoutCredentials', () => {
  it('removes user-info from URIs in a message', () => {
    expect(withoutCredentials('failed mongodb://u:secret@h:1/x')).toBe('failed mongodb://<redacted>@h:1/x');
  });
});
