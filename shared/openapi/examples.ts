/**
 * Example values of the OpenAPI document: requests and answers as the contract's own examples
 * (API.md) write them. They are values, not schemas: the linter (`no-invalid-media-type-examples`)
 * and test/unit/openapi-document.test.ts check each one against the schema it illustrates.
 */

const FACTOR_ID = 'sms_Q2hhbmdlTWUxMjM0NTY3';
const TRANSACTION_ID = '5f0c6a52-3e1f-4b1e-9a52-2f3d1c7e9b10';
const STATE_TOKEN =
  'n4bQgNhMo4WxqsDcyKN9o6yb1yAKdSfvrhrWWkoD6QU.3q2-7wAAAAD8hQm0Yk2mS8ZbGd1rW8lK0tVXyY5nQ4c';
const TOKEN = 'eyJhbGciOiJFUzI1NiIsInR5cCI6Im1mYStqd3QiLCJraWQiOiJrMSJ9.eyJzdWIiOiJ1LTEyMyJ9.c2ln';
const AT = '2026-05-04T09:30:00.000Z';
const LATER = '2026-05-04T09:35:00.000Z';

export const smsFactor = {
  id: FACTOR_ID,
  type: 'sms',
  status: 'ACTIVE',
  profile: { phoneNumber: '+44*******123' },
  createdAt: AT,
};
const pending = { ...smsFactor, status: 'PENDING_ACTIVATION' };
const payment = { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' };

export const requestExamples = {
  start: {
    payment: {
      summary: 'A payment (SCA dynamic linking)',
      value: {
        userId: 'u-123',
        context: { ip: '203.0.113.7', country: 'GB', primaryAuth: 'knowledge' },
        transaction: { ...payment, payeeAccount: 'GB33BUKB20201555555555' },
        consentId: 'consent-42',
      },
    },
    plain: { summary: 'No payment', value: { userId: 'u-123' } },
  },
  enroll: {
    sms: { value: { type: 'sms', phoneNumber: '+447700900123' } },
    email: { value: { type: 'email', email: 'jane@example.com' } },
    totp: { value: { type: 'totp' } },
    pin: { value: { type: 'pin', pin: '274913' } },
    recoveryCode: { value: { type: 'recovery_code' } },
  },
  stateToken: { default: { value: { stateToken: STATE_TOKEN } } },
  verify: { default: { value: { stateToken: STATE_TOKEN, passCode: '123456' } } },
  activate: { default: { value: { passCode: '123456' } } },
  empty: { default: { value: {} } },
  trustedPayee: {
    default: { value: { payeeAccount: 'GB33BUKB20201555555555', payee: 'ACME Ltd' } },
  },
} as const;

const RECEIPT =
  'eyJhbGciOiJFUzI1NiIsInR5cCI6InNjYS1yZWNlaXB0K2p3dCIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1LTEyMyJ9.c2ln';
const signed = { token: TOKEN, tokenType: 'Bearer', expiresIn: 900, receipt: RECEIPT };
const requirement = { level: 'sca', categories: ['possession'] };

export const answerExamples = {
  health: { default: { value: { status: 'ok' } } },
  jwks: {
    default: {
      value: {
        keys: [
          {
            kty: 'EC',
            crv: 'P-256',
            x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
            y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
            kid: 'k1',
            alg: 'ES256',
            use: 'sig',
          },
        ],
      },
    },
  },
  openid: {
    default: {
      value: {
        issuer: 'https://mfa.bank.test/live',
        jwks_uri: 'https://mfa.bank.test/live/.well-known/jwks.json',
        id_token_signing_alg_values_supported: ['ES256'],
      },
    },
  },
  start: {
    required: {
      summary: 'MFA required',
      value: {
        status: 'MFA_REQUIRED',
        transactionId: TRANSACTION_ID,
        stateToken: STATE_TOKEN,
        expiresAt: LATER,
        factors: [smsFactor],
        requirement: { level: 'mfa', categories: ['knowledge', 'possession', 'inherence'] },
      },
    },
    enroll: {
      summary: 'No active factor that can meet the level',
      value: { status: 'MFA_ENROLL', transactionId: TRANSACTION_ID, factors: [] },
    },
    exempt: {
      summary: 'Exempted by the policy',
      value: {
        status: 'SUCCESS',
        transactionId: TRANSACTION_ID,
        exemption: 'low_value',
        ...signed,
      },
    },
  },
  challenge: {
    default: {
      value: { status: 'MFA_CHALLENGE', factorId: FACTOR_ID, expiresAt: LATER, resendAfter: AT },
    },
  },
  verify: {
    success: { value: { status: 'SUCCESS', transactionId: TRANSACTION_ID, ...signed } },
    next: {
      summary: 'Another category is needed (factor sequencing)',
      value: {
        status: 'MFA_REQUIRED',
        transactionId: TRANSACTION_ID,
        stateToken: STATE_TOKEN,
        requirement,
        factors: [],
      },
    },
  },
  cancel: { default: { value: { status: 'CANCELLED' } } },
  status: {
    default: {
      value: {
        status: 'MFA_CHALLENGE',
        transactionId: TRANSACTION_ID,
        expiresAt: LATER,
        attemptsRemaining: 4,
      },
    },
  },
  enroll: {
    sms: { value: { factor: pending, activation: { expiresAt: LATER } } },
    totp: {
      value: {
        factor: { ...pending, id: 'totp_Q2hhbmdlTWUxMjM0NTY3', type: 'totp', profile: {} },
        activation: {
          expiresAt: LATER,
          secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
          otpauthUri:
            'otpauth://totp/MFA%20Service:u-123?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=MFA%20Service&algorithm=SHA1&digits=6&period=30',
          qrCode: 'data:image/png;base64,iVBORw0KGgo=',
        },
      },
    },
  },
  activate: { default: { value: { factor: smsFactor } } },
  resend: { default: { value: { factor: pending, activation: { expiresAt: LATER } } } },
  factors: { default: { value: { factors: [smsFactor] } } },
  payees: {
    default: {
      value: {
        payees: [{ payeeAccount: 'GB33BUKB20201555555555', payee: 'ACME Ltd', addedAt: AT }],
      },
    },
  },
  payee: {
    default: { value: { payeeAccount: 'GB33BUKB20201555555555', payee: 'ACME Ltd', addedAt: AT } },
  },
  demo: {
    public: { value: { message: 'Public demo route.' } },
    protected: {
      value: {
        sub: 'u-123',
        txn: TRANSACTION_ID,
        authTime: 1777887000,
        acr: 'mfa',
        resource: '/demo/dogs',
      },
    },
  },
  openapi: {
    default: {
      value: { openapi: '3.1.1', info: { title: 'Step-up MFA', version: '1.1.0' }, paths: {} },
    },
  },
} as const;

/** Extra members of a problem for a code (API.md), in its example. */
export const problemExtrasExample: Readonly<Record<string, Record<string, string | number>>> = {
  invalid_passcode: { attemptsRemaining: 4 },
  invalid_credential: { attemptsRemaining: 4 },
  access_denied: { transactionId: TRANSACTION_ID, rule: 'sanctioned' },
  invalid_consent: { transactionId: TRANSACTION_ID },
};
