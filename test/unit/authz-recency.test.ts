import { describe, expect, it } from 'vitest';
import { parseAuthorizerConfig } from '../../shared/authz/authorizer-config.js';
import { checkRecency, INVALID_TOKEN_CHALLENGE } from '../../shared/authz/recency.js';
import { createRoutePolicies } from '../../shared/authz/route-policies.js';

/** The route policies an authorizer builds from these two settings (unset: undefined). */
const parseRoutePolicies = (policies?: string, defaultMaxAge?: string) => {
  const config = parseAuthorizerConfig({
    MFA_ISSUER: 'https://mfa.example',
    MFA_AUDIENCES: '*',
    MFA_JWKS_URL: 'https://mfa.example/.well-known/jwks.json',
    MFA_ROUTE_POLICIES: policies,
    MFA_DEFAULT_MAX_AGE_SECONDS: defaultMaxAge,
  });
  return createRoutePolicies(config.MFA_ROUTE_POLICIES ?? {}, config.MFA_DEFAULT_MAX_AGE_SECONDS);
};

const NOW = 1_767_225_600;
const claims = (ageSeconds: number, acr = 'mfa') => ({
  auth_time: NOW - ageSeconds,
  iat: NOW - ageSeconds,
  acr,
});
/** An exempt token: no authentication, so its age is its `iat`'s. */
const exempt = (ageSeconds: number) => ({ iat: NOW - ageSeconds, acr: 'exempt' });

describe('checkRecency (RFC 9470)', () => {
  it('ages an exempt token from its iat, and passes it only where the route lists exempt', () => {
    expect(checkRecency(exempt(60), { maxAge: 60, acr: 'sca exempt' }, NOW)).toEqual({ ok: true });
    expect(checkRecency(exempt(61), { maxAge: 60, acr: 'exempt' }, NOW)).toMatchObject({
      ok: false,
      reason: 'max_age',
    });
    expect(checkRecency(exempt(0), { maxAge: 60 }, NOW)).toMatchObject({
      ok: false,
      reason: 'acr',
    });
  });

  it('passes a fresh token, and one exactly maxAge seconds old', () => {
    expect(checkRecency(claims(0), { maxAge: 60 }, NOW)).toEqual({ ok: true });
    expect(checkRecency(claims(60), { maxAge: 60 }, NOW)).toEqual({ ok: true });
  });

  it('answers a token older than maxAge with the exact step-up challenge', () => {
    expect(checkRecency(claims(61), { maxAge: 60 }, NOW)).toEqual({
      ok: false,
      reason: 'max_age',
      wwwAuthenticate:
        'Bearer error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=60',
      description: 'A more recent authentication is required',
    });
    const result = checkRecency(claims(901), { maxAge: 900, acr: 'mfa' }, NOW);
    expect(result).toMatchObject({
      wwwAuthenticate:
        'Bearer error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age=900, acr_values="mfa"',
    });
  });

  it('answers an acr mismatch with its own description, even when fresh', () => {
    expect(checkRecency(claims(0, 'pwd'), { maxAge: 60, acr: 'mfa' }, NOW)).toEqual({
      ok: false,
      reason: 'acr',
      wwwAuthenticate:
        'Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", max_age=60, acr_values="mfa"',
      description: 'A different authentication level is required',
    });
    // A route without `acr` asks for `mfa`: an unknown level (or `exempt`) does not pass.
    expect(checkRecency(claims(0, 'pwd'), { maxAge: 60 }, NOW)).toMatchObject({
      ok: false,
      reason: 'acr',
    });
  });

  it.each([
    // route acr, token acr, passes
    [undefined, 'mfa', true],
    [undefined, 'sca', true],
    [undefined, 'exempt', false],
    ['mfa', 'sca', true],
    ['sca', 'sca', true],
    ['sca', 'mfa', false],
    ['sca', 'exempt', false],
    ['exempt', 'exempt', true],
    ['sca exempt', 'exempt', true],
    ['sca exempt', 'mfa', false],
    ['mfa exempt', 'mfa', true],
  ] as const)('route acr %s, token acr %s → %s', (routeAcr, tokenAcr, passes) => {
    const policy = { maxAge: 60, ...(routeAcr ? { acr: routeAcr } : {}) };
    expect(checkRecency(claims(0, tokenAcr), policy, NOW).ok).toBe(passes);
  });

  it('an sca route refuses an mfa token with the RFC 9470 challenge naming acr_values="sca"', () => {
    expect(checkRecency(claims(0, 'mfa'), { maxAge: 900, acr: 'sca' }, NOW)).toEqual({
      ok: false,
      reason: 'acr',
      wwwAuthenticate:
        'Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", max_age=900, acr_values="sca"',
      description: 'A different authentication level is required',
    });
  });

  it('has the invalid_token challenge of RFC 6750', () => {
    expect(INVALID_TOKEN_CHALLENGE).toBe('Bearer error="invalid_token"');
  });
});

describe('route policies', () => {
  const json = JSON.stringify({
    'GET /demo/cats': { maxAge: 60 },
    'GET /demo/dogs': { maxAge: 900 },
    'ANY /pay/{id}': { maxAge: 30, acr: 'mfa' },
  });

  it('finds the policy by method and resource, then ANY, then the default', () => {
    const policies = parseRoutePolicies(json, '300');
    expect(policies.policyFor('GET', '/demo/cats')).toEqual({ maxAge: 60 });
    expect(policies.policyFor('get', '/demo/dogs')).toEqual({ maxAge: 900 });
    expect(policies.policyFor('POST', '/pay/{id}')).toEqual({ maxAge: 30, acr: 'mfa' });
    expect(policies.policyFor('POST', '/demo/cats')).toEqual({ maxAge: 300 });
    expect(parseRoutePolicies(undefined, undefined).policyFor('GET', '/x')).toEqual({
      maxAge: 900,
    });
  });

  it('fails naming the variable, never echoing its value', () => {
    for (const bad of [
      '{not json',
      '[]',
      '{"GET /x":{"maxAge":-1}}',
      '{"GET /x":{"maxAge":1.5}}',
      '{"GET /x":{"maxAge":60,"extra":1}}',
      '{"FETCH /x":{"maxAge":60}}',
      '{"GET x":{"maxAge":60}}',
      '{"GET /x":{"maxAge":60,"acr":"a\\" b"}}',
    ]) {
      expect(() => parseRoutePolicies(bad), bad).toThrow(
        /^Invalid configuration: MFA_ROUTE_POLICIES must be a JSON object .* \((got|GET \/x: )[^"]*\)$/,
      );
    }
    for (const bad of ['', 'soon', '-1', '100000000']) {
      expect(() => parseRoutePolicies('{}', bad), bad).toThrow(
        /^Invalid configuration: MFA_DEFAULT_MAX_AGE_SECONDS must be an integer from 0 to 86400 \(got [a-z0-9 ]+\)$/,
      );
    }
  });

  it('keeps its entries frozen', () => {
    const policies = createRoutePolicies({ 'GET /a': { maxAge: 5 } }, 900);
    expect(Object.isFrozen(policies.policyFor('GET', '/a'))).toBe(true);
  });
});
