import { randomBytes, randomInt, randomUUID } from 'node:crypto';

/** Port: randomness. Production uses the CSPRNG; tests inject a deterministic source. */
export interface Random {
  bytes(length: number): Buffer;
  /** Uniform integer in [min, max). */
  int(min: number, max: number): number;
  uuid(): string;
}

export const cryptoRandom: Random = {
  bytes: (length) => randomBytes(length),
  int: (min, max) => randomInt(min, max),
  uuid: () => randomUUID(),
};
