import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import {
  type CallContext,
  callError,
  errorFromResponse,
  excerpt,
  parseResponse,
} from '../../../../functions/core/atlas/responses.ts';
import { validateAtlasResponse } from '../../../support/openapi.ts';

const GROUP_ID = '5f1a2b3c4d5e6f7a8b9c0d1e';
const NOW = Date.UTC(2026, 10, 30, 12);
const getCluster: CallContext = {
  operation: 'getCluster',
  method: 'GET',
  path: `/api/atlas/v2/groups/${GROUP_ID}/clusters/prod`,
  groupId: GROUP_ID,
  clusterName: 'prod',
  idempotent: true,
};

function answer(status: number, body: unknown, headers: IncomingHttpHeaders = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, headers, body: Buffer.from(text, 'utf8') };
}

/** An Atlas error envelope (schema ApiError), checked against the OpenAPI document. */
function atlasError(status: number, errorCode: string, detail: string) {
  const body = { error: status, errorCode, detail, reason: 'Reason' };
  expect(validateAtlasResponse('getCluster', status, body)).toEqual([]);
  return body;
}

describe('Function: callError', () => {
  it('keeps the cause of a failure, and has none when there was none', () => {
    // Prepare
    const cause = new Error('socket hang up');

    // Act
    const withCause = callError(getCluster, { retryable: true }, cause);
    const without = callError(getCluster, { retryable: false });

    // Assess
    expect(withCause.cause).toBe(cause);
    expect('cause' in without).toBe(false);
    expect(without).toMatchObject({ operation: 'getCluster', groupId: GROUP_ID, retryable: false });
  });
});

describe('Function: errorFromResponse', () => {
  it("quotes the start of a body that is not JSON (a load balancer's HTML page)", () => {
    // Act
    const error = errorFromResponse(getCluster, answer(502, '<html><body>Bad Gateway</body></html>'), NOW);

    // Assess
    expect(error).toMatchObject({ status: 502, retryable: true });
    expect(error.detail).toContain('<html><body>Bad Gateway</body></html>');
  });

  it('reads the error code from the X-Error-Code header when the body has none, and an empty header as none', () => {
    // Act
    const fromHeader = errorFromResponse(getCluster, answer(503, '', { 'x-error-code': 'SERVICE_UNAVAILABLE' }), NOW);
    const empty = errorFromResponse(getCluster, answer(404, { detail: 'No cluster.' }, { 'x-error-code': '' }), NOW);

    // Assess
    expect(fromHeader.errorCode).toBe('SERVICE_UNAVAILABLE');
    expect(empty.errorCode).toBeUndefined();
    expect(empty.detail).toBe('No cluster.');
  });

  it('reads an error body with fields of the wrong type leniently, falling back to the header', () => {
    // Act
    const error = errorFromResponse(
      getCluster,
      answer(404, { errorCode: 404, detail: { text: 'x' } }, { 'x-error-code': 'CLUSTER_NOT_FOUND' }),
      NOW,
    );

    // Assess
    expect(error.errorCode).toBe('CLUSTER_NOT_FOUND');
    expect(error.detail).toBeUndefined();
  });

  it("keeps at most 500 characters of Atlas's detail", () => {
    // Act
    const error = errorFromResponse(
      getCluster,
      answer(400, atlasError(400, 'INVALID_ATTRIBUTE', 'x'.repeat(600))),
      NOW,
    );

    // Assess
    expect(error.detail).toBe('x'.repeat(500));
  });

  it("advises granting a role in the project on a permission 401, after Atlas's own detail", () => {
    // Prepare
    const body = atlasError(401, 'USER_CANNOT_ACCESS_GROUP', 'Current user is not authorized.');

    // Act
    const error = errorFromResponse(getCluster, answer(401, body), NOW);
    const noProject = errorFromResponse(
      { operation: 'listOrganizations', method: 'GET', path: '/api/atlas/v2/orgs', idempotent: true },
      answer(401, body),
      NOW,
    );

    // Assess
    expect(error).toMatchObject({ errorCode: 'USER_CANNOT_ACCESS_GROUP', retryable: false });
    expect(error.detail).toMatch(/^Current user is not authorized\. \(.+\)$/);
    expect(error.detail).toContain(`project ${GROUP_ID}`);
    expect(error.detail).toContain('Project Backup Manager');
    expect(error.detail).not.toContain('did not accept the credentials');
    expect(noProject.detail).toContain('listOrganizations in the project');
    expect(noProject.detail).not.toContain('undefined');
  });

  it('says the credentials were not accepted on any other 401, with or without a code', () => {
    // Act
    const generic = errorFromResponse(
      getCluster,
      answer(401, atlasError(401, 'UNEXPECTED_ERROR', 'Unauthorized')),
      NOW,
    );
    const bare = errorFromResponse(getCluster, answer(401, ''), NOW);

    // Assess
    for (const error of [generic, bare]) {
      expect(error.detail).toContain('did not accept the credentials');
      expect(error.detail).not.toContain('Project Backup Manager');
    }
    expect(generic.detail).toMatch(/^Unauthorized \(/);
    expect(bare.errorCode).toBeUndefined();
  });

  it("advises adding this machine's address to the API access list on a 403 for it, and only then", () => {
    // Act
    const refused = errorFromResponse(
      getCluster,
      answer(403, atlasError(403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST', 'IP address 203.0.113.9 is not allowed.')),
      NOW,
    );
    const otherCode = errorFromResponse(
      getCluster,
      answer(403, atlasError(403, 'CANNOT_RESTORE_TO_TARGET', 'Cannot restore.')),
      NOW,
    );
    const otherStatus = errorFromResponse(
      getCluster,
      answer(404, atlasError(404, 'IP_ADDRESS_NOT_ON_WHITELIST', 'Not found.')),
      NOW,
    );
    const noCode = errorFromResponse(getCluster, answer(403, { detail: 'Forbidden.' }), NOW);

    // Assess
    expect(refused.detail).toMatch(/^IP address 203\.0\.113\.9 is not allowed\. \(.*API access list.*NAT gateway/);
    expect(otherCode.detail).toBe('Cannot restore.');
    expect(otherStatus.detail).toBe('Not found.');
    expect(noCode.detail).toBe('Forbidden.');
  });

  it('gives no advice for a permission code on a status other than 401', () => {
    // Act
    const error = errorFromResponse(getCluster, answer(403, atlasError(403, 'USER_UNAUTHORIZED', 'Forbidden.')), NOW);

    // Assess
    expect(error.detail).toBe('Forbidden.');
  });
});

describe('Function: parseResponse', () => {
  it('names every missing field of an answer on one line', () => {
    // Prepare
    const schema = z.looseObject({ id: z.string(), snapshotId: z.string() });

    // Act
    let thrown: unknown;
    try {
      parseResponse(schema, answer(200, { deliveryType: 'automated' }), getCluster);
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(AtlasApiError);
    const detail = (thrown as AtlasApiError).detail ?? '';
    expect(detail).not.toMatch(/\n|\s{2}/);
    expect(detail.split(' ')).toEqual(expect.arrayContaining(['id', 'snapshotId']));
  });
});

describe('Function: excerpt', () => {
  it('quotes a body of up to 100 bytes whole, and the first 100 bytes of a longer one, marked as cut', () => {
    // Act
    const whole = excerpt(Buffer.from('a'.repeat(100)));
    const cut = excerpt(Buffer.from(`${'b'.repeat(100)}\nrest`));

    // Assess
    expect(whole).toBe(JSON.stringify('a'.repeat(100)));
    expect(cut).toBe(JSON.stringify(`${'b'.repeat(100)}…`));
  });
});
