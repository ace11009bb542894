import { nodeCrypto } from '../node-crypto.js';

/** Port: randomness. Production uses the CSPRNG; tests inject a deterministic source. */
export interface Random {
  bytes(length: number): Buffer;
  /** Uniform integer in [min, max). */
  int(min: number, max: number): number;
  uuid(): string;
}

export const cryptoRandom: Random = {
  bytes: (length) => nodeCrypto().randomBytes(length),
  int: (min, max) => nodeCrypto().randomInt(min, max),
  uuid: () => nodeCrypto().randomUUID(),
};
