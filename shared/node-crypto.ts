/**
 * `node:crypto`, taken at first use rather than imported with the module (~3 ms of a cold
 * start): functions such as health never draw a random value or check an app secret.
 * `process.getBuiltinModule`: Node.js 20.16 or newer.
 */
export const nodeCrypto = () => process.getBuiltinModule('node:crypto');
