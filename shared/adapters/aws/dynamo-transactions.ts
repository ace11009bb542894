import type { TransactionRecord, TransactionStore } from '../../ports/store.js';
import { keys } from '../../table.js';
import type { TableOps } from './dynamo-table.js';

const LIVE = { ':required': 'MFA_REQUIRED', ':challenge': 'MFA_CHALLENGE' };
const STATUS = { '#status': 'status' };

/** Transactions: every step is one conditional update, so caps and single use hold under concurrency. */
export const dynamoTransactionStore = (table: TableOps): TransactionStore => {
  const lockOut = (hash: string) =>
    table.update<TransactionRecord>(keys.transaction(hash), {
      update: 'SET #status = :locked',
      condition: '#status IN (:required, :challenge)',
      names: STATUS,
      values: { ':locked': 'LOCKED_OUT', ...LIVE },
    });

  return {
    create: async (record) => {
      const created = await table.put(
        keys.transaction(record.stateTokenHash),
        record,
        'attribute_not_exists(pk)',
      );
      if (!created) throw new Error('Transaction key collision');
    },

    get: (hash) => table.get<TransactionRecord>(keys.transaction(hash)),

    beginChallenge: (hash, a) =>
      table.update<TransactionRecord>(keys.transaction(hash), {
        update:
          'SET #status = :challenge, challengeFactorId = :f, codeMac = :mac, codeExpiresAt = :exp, lastSentAt = :now ADD sends :one',
        condition:
          'clientId = :c AND expiresAtEpoch > :now AND #status IN (:required, :challenge) AND attribute_exists(factors.#f) AND (attribute_not_exists(sends) OR sends < :maxSends) AND (attribute_not_exists(lastSentAt) OR lastSentAt <= :edge)',
        names: { ...STATUS, '#f': a.factorId },
        values: {
          ...LIVE,
          ':f': a.factorId,
          ':mac': a.codeMac,
          ':exp': a.codeExpiresAt,
          ':now': a.nowSeconds,
          ':one': 1,
          ':c': a.clientId,
          ':maxSends': a.maxSends,
          ':edge': a.nowSeconds - a.cooldownSeconds,
        },
        returnOld: true,
      }),

    undoChallenge: async (hash, codeMac, previousSentAt) => {
      await table.update(keys.transaction(hash), {
        update: `ADD sends :minus ${previousSentAt === undefined ? 'REMOVE lastSentAt, codeMac' : 'SET lastSentAt = :prev REMOVE codeMac'}`,
        condition: 'codeMac = :mac',
        values: {
          ':minus': -1,
          ':mac': codeMac,
          ...(previousSentAt === undefined ? {} : { ':prev': previousSentAt }),
        },
      });
    },

    complete: (hash, a) =>
      table.update<TransactionRecord>(keys.transaction(hash), {
        update: 'SET #status = :success, verifiedFactorId = :f, authTime = :now',
        condition: `clientId = :c AND expiresAtEpoch > :now AND attribute_exists(factors.#f) AND (attribute_not_exists(attempts) OR attempts < :max) AND ${
          a.codeMac === undefined
            ? '#status IN (:required, :challenge)'
            : '#status = :challenge AND challengeFactorId = :f AND codeExpiresAt > :now AND codeMac = :mac'
        }`,
        names: { ...STATUS, '#f': a.factorId },
        values: {
          ...(a.codeMac === undefined ? LIVE : { ':challenge': LIVE[':challenge'] }),
          ':success': 'SUCCESS',
          ':f': a.factorId,
          ':now': a.nowSeconds,
          ':c': a.clientId,
          ':max': a.maxAttempts,
          ...(a.codeMac === undefined ? {} : { ':mac': a.codeMac }),
        },
        returnOld: true,
      }),

    revertCompletion: (hash, factorId, to) =>
      table.update<TransactionRecord>(keys.transaction(hash), {
        update: 'SET #status = :to REMOVE authTime, verifiedFactorId',
        condition: '#status = :success AND verifiedFactorId = :f',
        names: STATUS,
        values: { ':to': to, ':success': 'SUCCESS', ':f': factorId },
      }),

    recordFailure: async (hash, a) => {
      const counted = await table.update<TransactionRecord>(keys.transaction(hash), {
        update: 'ADD attempts :one',
        condition:
          'clientId = :c AND expiresAtEpoch > :now AND #status IN (:required, :challenge) AND (attribute_not_exists(attempts) OR attempts < :max)',
        names: STATUS,
        values: {
          ...LIVE,
          ':one': 1,
          ':c': a.clientId,
          ':now': a.nowSeconds,
          ':max': a.maxAttempts,
        },
      });
      if (!counted || (counted.attempts ?? 0) < a.maxAttempts) return counted;
      return (await lockOut(hash)) ?? counted;
    },

    cancel: async (hash, clientId, nowSeconds) =>
      (await table.update(keys.transaction(hash), {
        update: 'SET #status = :cancelled',
        condition: 'clientId = :c AND expiresAtEpoch > :now AND #status IN (:required, :challenge)',
        names: STATUS,
        values: { ...LIVE, ':cancelled': 'CANCELLED', ':c': clientId, ':now': nowSeconds },
      })) !== undefined,
  };
};
