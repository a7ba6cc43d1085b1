import { describe, expect, it } from 'vitest';
import { DigestSession, digestAuthorization, parseDigestChallenge } from '../../../../functions/core/atlas/digest.ts';

// RFC 7616 section 3.9.1, the MD5 example.
const RFC_CHALLENGE =
  'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, ' +
  'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';

describe('Function: digestAuthorization', () => {
  it('answers the RFC 7616 MD5 example with its published response', () => {
    // Prepare
    const challenge = parseDigestChallenge(RFC_CHALLENGE);
    if (!challenge) throw new Error('challenge not parsed');

    // Act
    const header = digestAuthorization({
      username: 'Mufasa',
      password: 'Circle of Life',
      method: 'GET',
      uri: '/dir/index.html',
      challenge,
      nc: 1,
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    });

    // Assess
    expect(header).toContain('response="8ca523f5e9506fed4657c9700eebdbec"');
    expect(header).toContain('qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"');
    expect(header).toContain('opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"');
    expect(header).toContain('uri="/dir/index.html"');
  });

  it('answers the RFC 2069 form when the server offers no qop (RFC 2069 example, as corrected by its errata)', () => {
    // Prepare
    const challenge = parseDigestChallenge(
      'Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"',
    );
    if (!challenge) throw new Error('challenge not parsed');

    // Act
    const header = digestAuthorization({
      username: 'Mufasa',
      password: 'CircleOfLife',
      method: 'GET',
      uri: '/dir/index.html',
      challenge,
      nc: 1,
      cnonce: 'unused',
    });

    // Assess
    expect(header).toContain('response="1949323746fe6a43ef61f9606e7febea"');
    expect(header).not.toContain('qop=');
  });
});

describe('Function: parseDigestChallenge', () => {
  it('reads stale=true, escaped quotes and a Digest challenge among other schemes', () => {
    // Act
    const challenge = parseDigestChallenge([
      'Bearer realm="x"',
      'Digest realm="MMS \\"Public\\" API", nonce="abc", qop="auth", stale=TRUE',
    ]);

    // Assess
    expect(challenge).toEqual({ realm: 'MMS "Public" API', nonce: 'abc', qopAuth: true, stale: true });
  });

  it.each([
    ['no header', undefined],
    ['a Basic challenge', 'Basic realm="x"'],
    ['an algorithm we do not answer', 'Digest realm="r", nonce="n", algorithm=SHA-512-256'],
    ['a challenge without a nonce', 'Digest realm="r"'],
  ])('returns undefined for %s', (_case, header) => {
    // Act & Assess
    expect(parseDigestChallenge(header)).toBeUndefined();
  });
});

describe('Class: DigestSession', () => {
  const request = { username: 'u', password: 'p', method: 'GET', uri: '/' };
  const nc = (header: string) => /nc=([0-9a-f]{8})/.exec(header)?.[1];

  it('counts nc per nonce and leases each nonce to one request at a time', () => {
    // Prepare
    const session = new DigestSession(() => 'c');
    const first = session.leaseFrom({ realm: 'r', nonce: 'n1', qopAuth: true, stale: false });
    const counts = [nc(session.authorization(first, request)), nc(session.authorization(first, request))];
    session.release(first);

    // Act
    const reused = session.lease();
    const concurrent = session.lease();
    const third = reused ? nc(session.authorization(reused, request)) : undefined;

    // Assess
    expect(counts).toEqual(['00000001', '00000002']);
    expect(reused?.challenge.nonce).toBe('n1');
    expect(third).toBe('00000003');
    expect(concurrent).toBeUndefined();
  });
});

describe('Function: parseDigestChallenge, what it does not answer (issue 18)', () => {
  it('answers only a Digest challenge with a realm, a nonce and MD5', () => {
    // Act
    const answers = [
      'Bearer realm="atlas", nonce="n"',
      'Digest realm="atlas"',
      'Digest nonce="n"',
      'Digest realm="atlas", nonce="n", algorithm=SHA-256',
      'Digest realm="atlas", nonce="n", algorithm=md5',
    ].map((header) => parseDigestChallenge(header)?.nonce);

    // Assess
    expect(answers).toEqual([undefined, undefined, undefined, undefined, 'n']);
  });

  it("reads only the Digest challenge's own parameters, spaces around = allowed", () => {
    // Act
    const challenge = parseDigestChallenge('Newauth realm="apps", opaque="theirs", Digest realm = "atlas", nonce= "n"');

    // Assess
    expect(challenge).toStrictEqual({ realm: 'atlas', nonce: 'n', qopAuth: false, stale: false });
  });
});

describe('Class: DigestSession, idle nonces (issue 18)', () => {
  it('keeps the 16 most recently released nonces and forgets older ones', () => {
    // Prepare
    const session = new DigestSession(() => 'c');
    for (let i = 1; i <= 17; i++)
      session.release(session.leaseFrom({ realm: 'r', nonce: `n${i}`, qopAuth: true, stale: false }));

    // Act
    const leased = Array.from({ length: 17 }, () => session.lease()?.challenge.nonce);

    // Assess
    expect(leased).toEqual([...Array.from({ length: 16 }, (_, i) => `n${17 - i}`), undefined]);
  });
});

describe('Function: digestAuthorization, the header it writes (issue 18)', () => {
  it('answers qop=auth only when offered, whatever its case, and adds no field it was not given', () => {
    // Prepare
    const intOnly = parseDigestChallenge('Digest realm="r", nonce="n", qop="auth-int"');
    const auth = parseDigestChallenge('Digest realm="r", nonce="n", qop=" Auth-Int , AUTH "');

    // Act
    const header = digestAuthorization({
      username: 'u',
      password: 'p',
      method: 'GET',
      uri: '/',
      challenge: { realm: 'r', nonce: 'n', qopAuth: false, stale: false },
      nc: 1,
      cnonce: 'c',
    });

    // Assess
    expect(intOnly?.qopAuth).toBe(false);
    expect(auth?.qopAuth).toBe(true);
    expect(header).toMatch(
      /^Digest username="u", realm="r", nonce="n", uri="\/", algorithm=MD5, response="[0-9a-f]{32}"$/,
    );
  });

  it('escapes quotes and backslashes in quoted values', () => {
    // Act
    const header = digestAuthorization({
      username: 'a"b\\c',
      password: 'p',
      method: 'GET',
      uri: '/',
      challenge: { realm: 'r', nonce: 'n', opaque: 'o', qopAuth: true, stale: false },
      nc: 1,
      cnonce: 'c',
    });

    // Assess
    expect(header).toContain('username="a\\"b\\\\c"');
    expect(header).toContain('opaque="o", qop=auth, nc=00000001, cnonce="c"');
  });
});
