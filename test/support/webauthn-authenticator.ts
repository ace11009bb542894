// A software WebAuthn authenticator for tests: node:crypto only. It makes
// RegistrationResponseJSON (fmt `none` or `packed` self-attestation; ES256 or RS256) and
// AuthenticationResponseJSON (`webauthn.get` or SPC `payment.get`) with chosen flags and counter.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest();
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor>;
const head = (major: number, n: number): Buffer =>
  n < 24
    ? Buffer.from([(major << 5) | n])
    : n < 0x100
      ? Buffer.from([(major << 5) | 24, n])
      : n < 0x10000
        ? Buffer.from([(major << 5) | 25, n >> 8, n & 0xff])
        : Buffer.concat([Buffer.from([(major << 5) | 26]), u32(n)]);

/** A minimal CBOR encoder (CTAP2 canonical for what the tests emit). */
export const cbor = (v: Cbor): Buffer => {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    return Buffer.concat([head(3, s.length), s]);
  }
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), v]);
  if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
  return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
};

export const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

export interface Flags {
  readonly up?: boolean;
  readonly uv?: boolean;
  readonly be?: boolean;
  readonly bs?: boolean;
}
const flagByte = (f: Flags) =>
  (f.up !== false ? FLAGS.UP : 0) |
  (f.uv ? FLAGS.UV : 0) |
  (f.be ? FLAGS.BE : 0) |
  (f.bs ? FLAGS.BS : 0);

export interface SoftCredential {
  readonly id: Buffer;
  readonly alg: -7 | -257;
  readonly privateKey: KeyObject;
  /** The COSE_Key of the public key. */
  readonly cosePublicKey: Buffer;
  readonly flags: Flags;
  counter: number;
  /** Synced passkeys keep no counter: every assertion says 0. */
  readonly zeroCounter: boolean;
}

/** One credential on a software authenticator: ES256 (P-256, default) or RS256. */
export const newCredential = (
  options: { alg?: -7 | -257; zeroCounter?: boolean; counter?: number } & Flags = {},
): SoftCredential => {
  const alg = options.alg ?? -7;
  const { privateKey, publicKey } =
    alg === -7
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const bytes = (text?: string) => Buffer.from(text ?? '', 'base64url');
  const cose: Map<Cbor, Cbor> =
    alg === -7
      ? new Map<Cbor, Cbor>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, bytes(jwk.x)],
          [-3, bytes(jwk.y)],
        ])
      : new Map<Cbor, Cbor>([
          [1, 3],
          [3, -257],
          [-1, bytes(jwk.n)],
          [-2, bytes(jwk.e)],
        ]);
  return {
    id: randomBytes(16),
    alg,
    privateKey,
    cosePublicKey: cbor(cose),
    flags: { uv: options.uv ?? true, be: options.be ?? false, bs: options.bs ?? false },
    counter: options.counter ?? 0,
    zeroCounter: options.zeroCounter ?? false,
  };
};

const signWith = (cred: SoftCredential, data: Buffer) => sign('sha256', data, cred.privateKey);

const clientData = (
  type: string,
  challenge: string,
  origin: string,
  extra: Record<string, unknown> = {},
) => Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false, ...extra }));

export interface Ceremony {
  /** The options' challenge (base64url). */
  readonly challenge: string;
  readonly origin: string;
  readonly rpId: string;
}

/** `navigator.credentials.create()` → RegistrationResponseJSON. */
export const register = (
  cred: SoftCredential,
  ceremony: Ceremony & { fmt?: 'none' | 'packed'; flags?: Flags; type?: string },
) => {
  const f = { ...cred.flags, ...ceremony.flags };
  const authData = Buffer.concat([
    sha256(ceremony.rpId),
    Buffer.from([flagByte(f) | FLAGS.AT]),
    u32(cred.counter),
    Buffer.alloc(16), // AAGUID: zeros
    Buffer.from([cred.id.length >> 8, cred.id.length & 0xff]),
    cred.id,
    cred.cosePublicKey,
  ]);
  const clientDataJSON = clientData(
    ceremony.type ?? 'webauthn.create',
    ceremony.challenge,
    ceremony.origin,
  );
  const attStmt =
    ceremony.fmt === 'packed' // self attestation: no x5c, signed with the credential key itself
      ? new Map<Cbor, Cbor>([
          ['alg', cred.alg],
          ['sig', signWith(cred, Buffer.concat([authData, sha256(clientDataJSON)]))],
        ])
      : new Map<Cbor, Cbor>();
  const attestationObject = cbor(
    new Map<Cbor, Cbor>([
      ['fmt', ceremony.fmt ?? 'none'],
      ['attStmt', attStmt],
      ['authData', authData],
    ]),
  );
  return {
    id: b64u(cred.id),
    rawId: b64u(cred.id),
    type: 'public-key' as const,
    response: {
      clientDataJSON: b64u(clientDataJSON),
      attestationObject: b64u(attestationObject),
      transports: ['internal'],
    },
    clientExtensionResults: {},
    authenticatorAttachment: 'platform' as const,
  };
};

/**
 * `navigator.credentials.get()` (or SPC: type `payment.get`) → AuthenticationResponseJSON.
 * Increments the counter unless `counter` is given or the credential keeps none.
 */
export const assert = (
  cred: SoftCredential,
  ceremony: Ceremony & {
    type?: string;
    flags?: Flags;
    counter?: number;
    clientExtra?: Record<string, unknown>;
  },
) => {
  cred.counter = ceremony.counter ?? (cred.zeroCounter ? 0 : cred.counter + 1);
  const authData = Buffer.concat([
    sha256(ceremony.rpId),
    Buffer.from([flagByte({ ...cred.flags, ...ceremony.flags })]),
    u32(cred.counter),
  ]);
  const clientDataJSON = clientData(
    ceremony.type ?? 'webauthn.get',
    ceremony.challenge,
    ceremony.origin,
    ceremony.clientExtra,
  );
  return {
    id: b64u(cred.id),
    rawId: b64u(cred.id),
    type: 'public-key' as const,
    response: {
      clientDataJSON: b64u(clientDataJSON),
      authenticatorData: b64u(authData),
      signature: b64u(signWith(cred, Buffer.concat([authData, sha256(clientDataJSON)]))),
    },
    clientExtensionResults: {},
    authenticatorAttachment: 'platform' as const,
  };
};
