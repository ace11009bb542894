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

    undoChallenge: async (hash, codeMac, before) => {
      // Put back the code (and cooldown) the user had before this send, if any.
      const restore = before.codeMac
        ? 'SET codeMac = :prevMac, codeExpiresAt = :prevExp, challengeFactorId = :prevFactor, lastSentAt = :prevSent'
        : `REMOVE codeMac, codeExpiresAt${before.lastSentAt === undefined ? ', lastSentAt' : ''}${
            before.lastSentAt === undefined ? '' : ' SET lastSentAt = :prevSent'
          }`;
      await table.update(keys.transaction(hash), {
        update: `ADD sends :minus ${restore}`,
        condition: 'codeMac = :mac',
        values: {
          ':minus': -1,
          ':mac': codeMac,
          ...(before.codeMac
            ? {
                ':prevMac': before.codeMac,
                ':prevExp': before.codeExpiresAt,
                ':prevFactor': before.challengeFactorId,
                ':prevSent': before.lastSentAt,
              }
            : before.lastSentAt === undefined
              ? {}
              : { ':prevSent': before.lastSentAt }),
        },
      });
    },

    reserveAttempt: (hash, a) =>
      table.update<TransactionRecord>(keys.transaction(hash), {
        update: 'ADD attempts :one',
        condition: `clientId = :c AND expiresAtEpoch > :now AND attribute_exists(factors.#f) AND (attribute_not_exists(attempts) OR attempts < :max) AND ${
          a.challenge
            ? '#status = :challenge AND challengeFactorId = :f AND codeExpiresAt > :now AND attribute_exists(codeMac)'
            : '#status IN (:required, :challenge)'
        }`,
        names: { ...STATUS, '#f': a.factorId },
        values: {
          ...(a.challenge ? { ':challenge': LIVE[':challenge'], ':f': a.factorId } : LIVE),
          ':one': 1,
          ':c': a.clientId,
          ':now': a.nowSeconds,
          ':max': a.maxAttempts,
        },
      }),

    complete: (hash, a) =>
      table.update<TransactionRecord>(keys.transaction(hash), {
        update: 'SET #status = :success, verifiedFactorId = :f, authTime = :now',
        condition: `clientId = :c AND expiresAtEpoch > :now AND #status IN (:required, :challenge)${
          a.codeMac === undefined ? '' : ' AND codeMac = :mac'
        }`,
        names: STATUS,
        values: {
          ...LIVE,
          ':success': 'SUCCESS',
          ':f': a.factorId,
          ':now': a.nowSeconds,
          ':c': a.clientId,
          ...(a.codeMac === undefined ? {} : { ':mac': a.codeMac }),
        },
      }),

    lockOut: async (hash) => {
      await lockOut(hash);
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
