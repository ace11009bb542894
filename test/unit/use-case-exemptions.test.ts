import { describe, expect, it } from 'vitest';
import { type Policy, parsePolicy } from '../../shared/domain/policy/index.js';
import {
  addTrustedPayee,
  listTrustedPayees,
  MAX_TRUSTED_PAYEES,
  removeTrustedPayee,
} from '../../shared/use-cases/trusted-payees.js';
import {
  CLIENT,
  challenge,
  codeOf,
  refused,
  start,
  useCaseDeps,
  verify,
} from '../support/use-case-deps.js';

/**
 * Exemptions, the consent check and trusted payees on the in-memory store: what each writes
 * (the requests an exempt start makes), and every refusal with its status and code.
 */
const POLICY: Policy = parsePolicy({
  version: 1,
  rules: [],
  exemptions: {
    lowValue: { currency: 'EUR', maxAmount: '30.00', maxCumulative: '100.00', maxCount: 5 },
    trustedBeneficiaries: true,
  },
  default: { require: 'mfa' },
  consentCheck: { url: 'https://consents.example/check' },
});
const eur = (amount: string, payeeAccount?: string) => ({
  amount,
  currency: 'EUR',
  payee: 'Shop',
  ...(payeeAccount ? { payeeAccount } : {}),
});

describe('an exempt start', () => {
  it('answers SUCCESS with exempt claims: one read and one write of the policy state', async () => {
    const h = useCaseDeps();
    await h.seedFactor('ann', 'email');
    h.stores.calls.length = 0;
    const s = await start(h, 'ann', { policy: POLICY, transaction: eur('12.50') });
    expect(h.stores.calls).toEqual(['factors.getUser', 'policyStates.save']);
    expect(s.outcome).toEqual({
      ok: true,
      body: { status: 'SUCCESS', transactionId: expect.any(String), exemption: 'low_value' },
      claims: {
        sub: 'ann',
        aud: CLIENT,
        acr: 'exempt',
        txn: expect.any(String),
        authorization_details: [
          {
            type: 'payment_initiation',
            instructedAmount: { amount: '12.50', currency: 'EUR' },
            creditorName: 'Shop',
          },
        ],
        sca: { decision: 'exempt', exemption: 'low_value' },
      },
      // The receipt: nobody authenticated (no factors); the policy's decision is the record.
      receipt: {
        binding: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        factors: [],
        policy: { decision: 'exempt', exemption: 'low_value' },
        // The exempt start's own event in the user's chain.
        audit: { seq: 1, hash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) },
      },
      // Published by the API function while it signs.
      events: [{ type: 'mfa.authn.started', detail: expect.objectContaining({ seq: 1 }) }],
    });
    expect(h.stores.user(CLIENT, 'ann')).toMatchObject({
      policyRev: 1,
      policyState: { sinceSca: { count: 1, cumulative: { EUR: '12.50' } } },
    });
    expect(s.outcome.ok && s.outcome.events?.[0]?.detail).toMatchObject({
      status: 'SUCCESS',
      policy: { decision: 'exempt', exemption: 'low_value' },
    });
  });

  it('decides again when another start wrote the state first: the count stays exact', async () => {
    const h = useCaseDeps();
    await h.seedFactor('ben', 'email');
    for (let i = 0; i < 4; i++) await start(h, 'ben', { policy: POLICY, transaction: eur('1.00') });
    // A concurrent exempt payment lands between this start's read and its write.
    const save = h.deps.policyStates.save;
    let raced = false;
    const deps = {
      ...h.deps,
      policyStates: {
        save: async (...args: Parameters<typeof save>) => {
          if (!raced) {
            raced = true;
            const user = h.stores.user(CLIENT, 'ben');
            await save(
              args[0],
              {
                state: {
                  ...user?.policyState,
                  sinceSca: { count: 5, cumulative: { EUR: '5.00' } },
                },
                seenRev: user?.policyRev,
              },
              {},
            );
          }
          return save(...args);
        },
      },
    };
    const s = await start(h, 'ben', { policy: POLICY, transaction: eur('1.00') }, deps);
    expect(s.outcome).toMatchObject({ body: { status: 'MFA_REQUIRED' } });
  });

  it('a verify at mfa counts the payment; an SCA resets the count and starts nothing else', async () => {
    const h = useCaseDeps();
    const sms = await h.seedFactor('cat', 'sms');
    const pay = async (context: { primaryAuth: 'knowledge' | 'none' }) => {
      const s = await start(h, 'cat', { policy: POLICY, transaction: eur('31.00'), context });
      const code = codeOf(await challenge(h, s, sms.factorId));
      h.advance(31);
      const done = await verify(h, s, sms.factorId, code);
      return done.ok ? done.claims?.acr : 'refused';
    };
    expect(await pay({ primaryAuth: 'none' })).toBe('mfa');
    expect(h.stores.user(CLIENT, 'cat')?.policyState?.sinceSca).toEqual({
      count: 1,
      cumulative: { EUR: '31.00' },
    });
    expect(await pay({ primaryAuth: 'knowledge' })).toBe('sca');
    expect(h.stores.user(CLIENT, 'cat')?.policyState?.sinceSca).toEqual({
      count: 0,
      cumulative: {},
    });
  });
});

describe('a verify racing exempt payments', () => {
  /** Completing writes that each lose to an exempt payment landing just before them. */
  const racing = (h: ReturnType<typeof useCaseDeps>, losses: number) => {
    const transactions = h.stores.transactions;
    const complete = transactions.complete;
    let lost = 0;
    transactions.complete = async (ref, args) => {
      if (lost < losses) {
        lost += 1;
        const user = h.stores.user(CLIENT, 'fay');
        await h.stores.policyStates.save(
          { clientId: CLIENT, userId: 'fay' },
          { state: user?.policyState ?? {}, seenRev: user?.policyRev },
          {},
        );
      }
      return complete(ref, args);
    };
  };

  it('completes on the state the refused write saw; a right code is never a wrong one', async () => {
    for (const [losses, expected] of [
      [3, 'ok'],
      [20, 'invalid_state'],
    ] as const) {
      const h = useCaseDeps();
      const email = await h.seedFactor('fay', 'email');
      const s = await start(h, 'fay', { policy: POLICY, transaction: eur('31.00') });
      const code = codeOf(await challenge(h, s, email.factorId));
      racing(h, losses);
      const outcome = await verify(h, s, email.factorId, code).then(
        (done) => (done.ok ? 'ok' : 'refused'),
        (error: { code?: string }) => error.code,
      );
      expect(outcome, `${losses} losses`).toBe(expected);
      expect(h.eventTypes()).not.toContain('mfa.authn.failed');
    }
  });
});

describe('the consent check', () => {
  it('asks the app with the consent, user and transaction; refused → 403, no answer → 503, nothing written', async () => {
    const h = useCaseDeps();
    await h.seedFactor('dan', 'email');
    const body = { policy: POLICY, consentId: 'c-9', transaction: eur('99.00') };
    h.consents.verdict = 'invalid';
    h.stores.calls.length = 0;
    const invalid = await refused(start(h, 'dan', body), 403, 'invalid_consent');
    expect(invalid.extras.transactionId).toEqual(expect.any(String));
    h.consents.verdict = 'unavailable';
    await refused(start(h, 'dan', body), 503, 'service_unavailable');
    expect(h.stores.calls).toEqual(['factors.getUser', 'factors.getUser']);
    expect(h.consents.asked[0]).toEqual({
      url: 'https://consents.example/check',
      query: { consentId: 'c-9', userId: 'dan', transaction: eur('99.00') },
    });
    h.consents.verdict = 'valid';
    expect((await start(h, 'dan', body)).outcome).toMatchObject({
      body: { status: 'MFA_REQUIRED' },
    });
  });
});

describe('trusted payees', () => {
  const payee = { payeeAccount: 'NL91ABNA0417164300', payee: 'Utility BV' };
  const args = (mfaToken?: string) => ({
    clientId: CLIENT,
    userId: 'eve',
    ...payee,
    ...(mfaToken ? { mfaToken } : {}),
  });

  it('a change needs an sca token for this user from the last 300 s that approved nothing', async () => {
    const h = useCaseDeps();
    await h.seedFactor('eve', 'sms');
    const before = h.stores.user(CLIENT, 'eve');
    await refused(addTrustedPayee(h.deps, args()), 401, 'insufficient_user_authentication');
    const mfa = await h.mfaToken('eve', { acr: 'mfa', amr: ['otp'] });
    await refused(addTrustedPayee(h.deps, args(mfa)), 401, 'insufficient_user_authentication');
    const other = await h.mfaToken('mallory', { acr: 'sca', amr: ['otp', 'pin'] });
    await refused(addTrustedPayee(h.deps, args(other)), 401, 'insufficient_user_authentication');
    const exempt = await h.mfaToken('eve', { acr: 'exempt', auth_time: undefined });
    await refused(addTrustedPayee(h.deps, args(exempt)), 401, 'insufficient_user_authentication');
    const paid = await h.mfaToken('eve', {
      acr: 'sca',
      amr: ['otp', 'pin'],
      authorization_details: [{ type: 'payment_initiation' }],
    });
    await refused(addTrustedPayee(h.deps, args(paid)), 401, 'insufficient_user_authentication');
    const old = await h.mfaToken('eve', {
      acr: 'sca',
      amr: ['otp', 'pin'],
      auth_time: h.now() - 301,
    });
    await refused(addTrustedPayee(h.deps, args(old)), 401, 'insufficient_user_authentication');
    expect(h.stores.user(CLIENT, 'eve')).toEqual(before);

    const sca = await h.mfaToken('eve', { acr: 'sca', amr: ['otp', 'pin'] });
    expect(await addTrustedPayee(h.deps, args(sca))).toEqual({
      ...payee,
      addedAt: new Date(h.now() * 1000).toISOString(),
    });
    expect(await listTrustedPayees(h.deps, { clientId: CLIENT, userId: 'eve' })).toEqual({
      payees: [{ ...payee, addedAt: expect.any(String) }],
    });
    expect(h.eventTypes().at(-1)).toBe('mfa.payee.trusted');
    expect(JSON.stringify(h.events)).not.toContain(payee.payeeAccount);

    // One token, one change: neither another payee nor a factor change.
    await refused(
      addTrustedPayee(h.deps, { ...args(sca), payeeAccount: 'OTHER1' }),
      401,
      'insufficient_user_authentication',
    );

    // The payment to it is exempt, above the low-value ceiling.
    await h.seedFactor('eve', 'email');
    const paying = await start(h, 'eve', {
      policy: POLICY,
      transaction: eur('500.00', payee.payeeAccount),
    });
    expect(paying.outcome).toMatchObject({ body: { exemption: 'trusted_beneficiary' } });

    const scaAgain = () => h.mfaToken('eve', { acr: 'sca', amr: ['otp', 'pin'] });
    await removeTrustedPayee(h.deps, args(await scaAgain()));
    await refused(removeTrustedPayee(h.deps, args(await scaAgain())), 404, 'not_found');
    expect((await listTrustedPayees(h.deps, { clientId: CLIENT, userId: 'eve' })).payees).toEqual(
      [],
    );
  });

  it(`at most ${MAX_TRUSTED_PAYEES} per user: 409 too_many_payees`, async () => {
    const h = useCaseDeps();
    await h.seedFactor('eve', 'sms');
    const sca = () => h.mfaToken('eve', { acr: 'sca', amr: ['otp', 'pin'] });
    for (let i = 0; i < MAX_TRUSTED_PAYEES; i++) {
      await addTrustedPayee(h.deps, { ...args(await sca()), payeeAccount: `ACC${i}` });
    }
    await refused(addTrustedPayee(h.deps, args(await sca())), 409, 'too_many_payees');
    // Renaming one already trusted is no new entry.
    const renamed = await addTrustedPayee(h.deps, {
      ...args(await sca()),
      payeeAccount: 'ACC7',
      payee: 'New',
    });
    expect(renamed.payee).toBe('New');
  });
});
