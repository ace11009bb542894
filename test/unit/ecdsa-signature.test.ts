import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CryptoError } from '../../shared/domain/crypto-error.js';
import {
  derToJose,
  isLowSP256,
  joseToDer,
  toLowSP256,
} from '../../shared/domain/ecdsa-signature.js';

const malformed = (run: () => unknown) => {
  let error: unknown;
  try {
    run();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(CryptoError);
  expect((error as CryptoError).code).toBe('malformed_signature');
};

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
/** DER of two INTEGER bodies given in hex. */
const der = (r: string, s: string) => {
  const body = Buffer.concat([
    Buffer.from([0x02, hex(r).length]),
    hex(r),
    Buffer.from([0x02, hex(s).length]),
    hex(s),
  ]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
};

describe.each([
  { curve: 'P-256', size: 32, count: 400 },
  { curve: 'P-384', size: 48, count: 50 },
  { curve: 'P-521', size: 66, count: 50 },
])('ECDSA $curve signatures', ({ curve, size, count }) => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });

  it('DER from node:crypto converts to r||s that verifies, and back to the same bytes', () => {
    const lengths = new Set<number>();
    for (let i = 0; i < count; i += 1) {
      const data = randomBytes(40);
      const signature = sign(null, data, { key: privateKey, dsaEncoding: 'der' });
      lengths.add(signature.length);
      const jose = derToJose(signature, size);
      expect(jose.length).toBe(2 * size);
      expect(verify(null, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).toBe(true);
      expect(Buffer.from(joseToDer(jose, size)).equals(signature)).toBe(true);
    }
    // Padded (high bit set) and unpadded integers both occurred.
    expect(lengths.size).toBeGreaterThan(1);
  });

  it('r||s from node:crypto converts to DER that verifies, and back to the same bytes', () => {
    for (let i = 0; i < count; i += 1) {
      const data = randomBytes(40);
      const signature = sign(null, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const encoded = joseToDer(signature, size);
      expect(verify(null, data, { key: publicKey, dsaEncoding: 'der' }, encoded)).toBe(true);
      expect(Buffer.from(derToJose(encoded, size)).equals(signature)).toBe(true);
    }
  });
});

describe('DER edge cases', () => {
  const high = `80${'11'.repeat(31)}`;

  it('handles a padded high-bit integer and short integers', () => {
    const jose = derToJose(der(`00${high}`, '01'));
    expect(Buffer.from(jose.subarray(0, 32)).toString('hex')).toBe(high);
    expect(Buffer.from(jose.subarray(32)).toString('hex')).toBe(`${'00'.repeat(31)}01`);
    expect(Buffer.from(joseToDer(jose)).equals(der(`00${high}`, '01'))).toBe(true);
  });

  it('encodes leading zero bytes of r||s minimally', () => {
    const jose = Buffer.concat([hex(`0000${'7f'.repeat(30)}`), hex(`00${'ff'.repeat(31)}`)]);
    expect(Buffer.from(joseToDer(jose)).equals(der('7f'.repeat(30), `00${'ff'.repeat(31)}`))).toBe(
      true,
    );
  });

  it('refuses malformed DER', () => {
    const good = der('01', '02');
    malformed(() => derToJose(new Uint8Array()));
    malformed(() => derToJose(Buffer.from([0x31, ...good.subarray(1)]))); // not a SEQUENCE
    malformed(() => derToJose(Buffer.concat([good, Buffer.from([0])]))); // trailing byte
    malformed(() => derToJose(good.subarray(0, good.length - 1))); // truncated
    malformed(() => derToJose(Buffer.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x02]))); // OCTET STRING
    malformed(() => derToJose(der('80', '01'))); // negative r
    malformed(() => derToJose(der('0001', '01'))); // needless padding
    malformed(() => derToJose(der('00', '01'))); // zero r
    malformed(() => derToJose(der('01', '00'))); // zero s
    malformed(() => derToJose(der('', '01'))); // empty INTEGER
    malformed(() => derToJose(der('01'.repeat(33), '01'))); // r wider than the curve
    malformed(() => derToJose(der(`00${'ff'.repeat(33)}`, '01'))); // same, padded
    malformed(() => derToJose(Buffer.from([0x30, 0x81, 0x06, ...good.subarray(2)]))); // long form < 128
    malformed(() => derToJose(Buffer.from([0x30, 0x82, 0x00, 0x06, ...good.subarray(2)])));
    // A second SEQUENCE inside the first one's length.
    malformed(() => derToJose(Buffer.concat([Buffer.from([0x30, 0x08]), good])));
  });

  it('refuses r||s of the wrong size or with a zero half', () => {
    malformed(() => joseToDer(new Uint8Array(63)));
    malformed(() => joseToDer(new Uint8Array(65)));
    malformed(() => joseToDer(Buffer.concat([Buffer.alloc(32), Buffer.alloc(32, 1)])));
    malformed(() => joseToDer(Buffer.concat([Buffer.alloc(32, 1), Buffer.alloc(32)])));
  });

  it('refuses an impossible curve size', () => {
    expect(() => derToJose(der('01', '02'), 0)).toThrow(RangeError);
    expect(() => joseToDer(new Uint8Array(134), 67)).toThrow(RangeError);
  });
});

describe('low-S ES256 signatures', () => {
  // The P-256 order, written here independently of the code under test.
  const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const HALF = N / 2n;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const int = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  const fixed = (value: bigint) => hex(value.toString(16).padStart(64, '0'));
  const rs = (r: bigint, s: bigint) => Buffer.concat([fixed(r), fixed(s)]);
  const twin = (jose: Uint8Array) => rs(int(jose.subarray(0, 32)), N - int(jose.subarray(32)));
  const verifies = (data: Buffer, jose: Uint8Array) =>
    verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose);
  /** A node:crypto signature of `data` and its twin, sorted into the low and the high form. */
  const signBoth = (data: Buffer) => {
    const signature = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const other = twin(signature);
    return int(signature.subarray(32)) <= HALF
      ? { low: signature, high: other }
      : { low: other, high: signature };
  };

  it('turns a high-S signature into (r, n − s), which still verifies; a low-S one stays as is', () => {
    for (let i = 0; i < 50; i += 1) {
      const data = randomBytes(40);
      const { low, high } = signBoth(data);
      expect(verifies(data, high)).toBe(true); // the twin is a valid signature: the problem
      const normal = toLowSP256(high);
      const expected = rs(int(high.subarray(0, 32)), N - int(high.subarray(32)));
      expect(Buffer.from(normal).toString('hex')).toBe(expected.toString('hex'));
      expect(Buffer.from(normal).equals(low)).toBe(true);
      expect(verifies(data, normal)).toBe(true);
      expect(toLowSP256(low)).toBe(low);
      expect([isLowSP256(low), isLowSP256(high), isLowSP256(normal)]).toEqual([true, false, true]);
    }
  });

  it('puts the boundary at ⌊n/2⌋: n is odd, so exactly one of s and n − s is low', () => {
    const r = 7n;
    expect(isLowSP256(rs(r, HALF))).toBe(true);
    expect(isLowSP256(rs(r, HALF + 1n))).toBe(false);
    expect(Buffer.from(toLowSP256(rs(r, HALF + 1n))).equals(rs(r, HALF))).toBe(true);
    expect(Buffer.from(toLowSP256(rs(r, N - 1n))).equals(rs(r, 1n))).toBe(true);
    expect(isLowSP256(rs(r, 1n))).toBe(true);
    expect(isLowSP256(rs(N - 1n, 1n))).toBe(true);
  });

  it('refuses r or s that is zero or not below n, and any other length', () => {
    for (const bad of [rs(0n, 1n), rs(1n, 0n), rs(N, 1n), rs(1n, N), rs(N + 1n, 1n)]) {
      expect(isLowSP256(bad), bad.toString('hex')).toBe(false);
      malformed(() => toLowSP256(bad));
    }
    expect(isLowSP256(rs(2n ** 256n - 1n, 1n))).toBe(false);
    for (const length of [0, 63, 65, 96]) {
      expect(isLowSP256(new Uint8Array(length).fill(1))).toBe(false);
      malformed(() => toLowSP256(new Uint8Array(length).fill(1)));
    }
  });
});
