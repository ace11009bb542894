/** Port: randomness. Production uses the CSPRNG; tests inject a deterministic source. */
export interface Random {
  bytes(length: number): Buffer;
  /** Uniform integer in [min, max). */
  int(min: number, max: number): number;
  uuid(): string;
}

// node:crypto is loaded at first use, not with the module (~3 ms of a cold start): functions
// such as health never draw a random value (API Gateway gives every request its id).
const crypto = () => process.getBuiltinModule('node:crypto');

export const cryptoRandom: Random = {
  bytes: (length) => crypto().randomBytes(length),
  int: (min, max) => crypto().randomInt(min, max),
  uuid: () => crypto().randomUUID(),
};
