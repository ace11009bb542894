import { describe, expectTypeOf, it } from 'vitest';
import type * as z from 'zod/mini';
import type { FactorType, TransactionStatus } from '../../shared/domain/entities.js';
import type { ScaCategory } from '../../shared/domain/mfa-token.js';
import type { Exemption } from '../../shared/domain/policy/index.js';
import type { FactorView } from '../../shared/factors/registry.js';
import type * as res from '../../shared/http/responses.js';
import type { SignedToken } from '../../shared/http/sign-token.js';
import type { PublicJwk } from '../../shared/ports/signer.js';
import type { activateFactor, listFactors } from '../../shared/use-cases/factor-manage.js';
import type { addTrustedPayee, listTrustedPayees } from '../../shared/use-cases/trusted-payees.js';

// Checked by `tsc --noEmit` (npm test's typecheck): what the use cases return, and the types
// their answers are made of, are what responses.ts (so the OpenAPI document) says. A new field
// or value in one and not the other fails the type-check. The workflow's answers (start,
// challenge, verify, cancel, status) are plain records: test/integration/openapi.test.ts
// checks them against the document at run time.
type Out<S extends z.ZodMiniType> = z.output<S>;
type Answer<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;
/** The same keys, so no field is answered without being described (or the reverse). */
type Keys<T> = keyof T;

describe('answers typed against responses.ts', () => {
  it('factors', () => {
    expectTypeOf<FactorView>().toExtend<Out<typeof res.factorResponse>>();
    expectTypeOf<Keys<FactorView>>().toEqualTypeOf<Keys<Out<typeof res.factorResponse>>>();
    expectTypeOf<FactorType>().toEqualTypeOf<Out<typeof res.factorResponse>['type']>();
    expectTypeOf<Answer<typeof listFactors>>().toExtend<Out<typeof res.factorListResponse>>();
    expectTypeOf<Answer<typeof activateFactor>>().toExtend<Out<typeof res.activateResponse>>();
  });

  it('trusted payees', () => {
    type Payees = Answer<typeof listTrustedPayees>;
    expectTypeOf<Payees>().toExtend<Out<typeof res.trustedPayeeListResponse>>();
    type Payee = Answer<typeof addTrustedPayee>;
    expectTypeOf<Payee>().toExtend<Out<typeof res.trustedPayeeResponse>>();
    expectTypeOf<Keys<Payee>>().toEqualTypeOf<Keys<Out<typeof res.trustedPayeeResponse>>>();
  });

  it('authentication: statuses, exemptions, categories, the token members', () => {
    type Status = Out<typeof res.statusResponse>['status'];
    expectTypeOf<TransactionStatus | 'EXPIRED'>().toEqualTypeOf<Status>();
    type Exempt = Extract<Out<typeof res.startResponse>, { status: 'SUCCESS' }>;
    expectTypeOf<Exemption>().toEqualTypeOf<Exempt['exemption']>();
    expectTypeOf<SignedToken>().toExtend<Pick<Exempt, 'token' | 'tokenType' | 'expiresIn'>>();
    type Required = Extract<Out<typeof res.startResponse>, { status: 'MFA_REQUIRED' }>;
    expectTypeOf<ScaCategory[]>().toEqualTypeOf<Required['requirement']['categories']>();
  });

  it('keys', () => {
    type Jwk = Out<typeof res.jwksResponse>['keys'][number];
    expectTypeOf<PublicJwk>().toExtend<Jwk>();
    expectTypeOf<Keys<PublicJwk>>().toEqualTypeOf<Keys<Jwk>>();
  });
});
