import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atlasOrigin, isLoopbackHost } from '../../../../functions/core/atlas/base-url.ts';
import { buildPath, withQuery } from '../../../../functions/core/atlas/paths.ts';

const TEMPLATE = '/api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/restoreJobs/{restoreJobId}';
const GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e';
const JOB = '65a1b2c3d4e5f60718293a4b';

describe('Function: buildPath', () => {
  it('fills a template with valid parameters', () => {
    // Act
    const result = buildPath(TEMPLATE, { groupId: GROUP, clusterName: 'prod-1', restoreJobId: JOB });

    // Assess
    expect(result).toEqual({
      ok: true,
      path: `/api/atlas/v2/groups/${GROUP}/clusters/prod-1/backup/restoreJobs/${JOB}`,
    });
  });

  it.each([
    ['a traversal in the cluster name', { clusterName: '../../admin' }, /clusterName "..\/..\/admin" must start/],
    ['a slash in the cluster name', { clusterName: 'prod/restoreJobs' }, /clusterName/],
    ['an encoded slash', { clusterName: 'prod%2Fx' }, /clusterName/],
    ['a query in the id', { restoreJobId: `${JOB}?x=1` }, /restoreJobId .* must be 24 lowercase hex/],
    ['an upper-case id', { groupId: GROUP.toUpperCase() }, /groupId/],
    ['a name over 64 characters', { clusterName: 'a'.repeat(65) }, /clusterName/],
    ['a missing parameter', { restoreJobId: undefined }, /restoreJobId is required/],
  ])('refuses %s before anything is sent', (_case, override, problem) => {
    // Prepare
    const parameters = { groupId: GROUP, clusterName: 'prod', restoreJobId: JOB, ...override };

    // Act
    const result = buildPath(TEMPLATE, parameters);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problem).toMatch(problem);
  });

  it('never lets any parameter value add or leave a path segment', () => {
    // Prepare: arbitrary text, and text shaped like the patterns with hostile characters around them.
    const hostile = fc.oneof(
      { arbitrary: fc.constant(''), weight: 4 },
      fc.constantFrom('/', '..', '%2F', '?', '#', '\\', ' ', '\n'),
    );
    const name = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.tuple(hostile, fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9-]{0,20}$/), hostile).map((parts) => parts.join('')),
    );
    const id = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.tuple(hostile, fc.stringMatching(/^[a-f0-9]{24}$/), hostile).map((parts) => parts.join('')),
    );
    let built = 0;

    fc.assert(
      fc.property(name, id, (clusterName, restoreJobId) => {
        // Act
        const result = buildPath(TEMPLATE, { groupId: GROUP, clusterName, restoreJobId });

        // Assess
        if (!result.ok) return;
        built += 1;
        const segments = result.path.split('/');
        expect(segments).toHaveLength(TEMPLATE.split('/').length);
        expect(segments[7]).toBe(clusterName);
        expect(segments[10]).toBe(restoreJobId);
        expect(clusterName).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9-]*$/);
        expect(restoreJobId).toMatch(/^[a-f0-9]{24}$/);
      }),
      { numRuns: 500 },
    );
    expect(built).toBeGreaterThan(10);
  });
});

describe('Function: withQuery', () => {
  it('appends the query in the order given', () => {
    // Act & Assess
    expect(withQuery('/x', { pageNum: 2, itemsPerPage: 500 })).toBe('/x?pageNum=2&itemsPerPage=500');
    expect(withQuery('/x', {})).toBe('/x');
  });
});

describe('Function: atlasOrigin', () => {
  it.each([
    ['https://cloud.mongodb.com', 'https://cloud.mongodb.com'],
    ['https://cloud.mongodb.com/', 'https://cloud.mongodb.com'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://127.9.9.9', 'http://127.9.9.9'],
    ['http://localhost:3000/', 'http://localhost:3000'],
    ['http://[::1]:4000', 'http://[::1]:4000'],
  ])('accepts %s', (baseUrl, origin) => {
    // Act & Assess
    expect(atlasOrigin(baseUrl)).toBe(origin);
  });

  it.each([
    ['plain http to a remote host', 'http://cloud.mongodb.com', /must use https/],
    ['plain http to a private address', 'http://10.0.0.1', /must use https/],
    ['a host that only looks local', 'http://127.0.0.1.example.com', /must use https/],
    ['another scheme', 'ftp://cloud.mongodb.com', /must use https/],
    ['user info', 'https://user:pass@cloud.mongodb.com', /user info/],
    ['a path', 'https://cloud.mongodb.com/api', /without path/],
    ['not a URL', 'cloud.mongodb.com', /not a URL/],
  ])('refuses %s', (_case, baseUrl, message) => {
    // Act & Assess
    expect(() => atlasOrigin(baseUrl)).toThrow(message);
  });

  it('knows loopback hosts', () => {
    // Act & Assess
    expect(['localhost', '127.0.0.1', '[::1]', '::1', '[::ffff:127.0.0.1]'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1', '128.0.0.1', 'localhost.evil', '::2'].some(isLoopbackHost)).toBe(false);
  });
});
