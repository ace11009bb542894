import type { FactorStore, UserFactors } from '../../ports/store.js';
import { keys } from '../../table.js';
import type { TableOps } from './dynamo-table.js';

const PENDING = 'PENDING_ACTIVATION';
const ACTIVE = 'ACTIVE';
const names = (factorId: string, extra: Record<string, string> = {}) => ({
  '#id': factorId,
  '#status': 'status',
  ...extra,
});

/** Factors of a user live in one item (with their transactions), so limits, duplicates and counters are atomic. */
export const dynamoFactorStore = (table: TableOps): FactorStore => ({
  getUser: (clientId, userId) => table.get<UserFactors>(keys.userFactors(clientId, userId)),

  add: async (clientId, userId, factor, maxFactors) => {
    const key = keys.userFactors(clientId, userId);
    // Nested map paths need their parent maps: create them once, idempotently.
    await table.update(key, {
      update:
        'SET factors = if_not_exists(factors, :empty), byDestination = if_not_exists(byDestination, :empty), txns = if_not_exists(txns, :empty), factorCount = if_not_exists(factorCount, :zero), clientId = :c, userId = :u',
      values: { ':empty': {}, ':zero': 0, ':c': clientId, ':u': userId },
    });
    const hash = factor.destinationHash;
    const added = await table.update(key, {
      update: `SET factors.#id = :factor${hash ? ', byDestination.#hash = :id' : ''} ADD factorCount :one`,
      condition: `factorCount < :max${hash ? ' AND attribute_not_exists(byDestination.#hash)' : ''}`,
      names: hash ? { '#id': factor.factorId, '#hash': hash } : { '#id': factor.factorId },
      values: {
        ':factor': factor,
        ':one': 1,
        ':max': maxFactors,
        ...(hash ? { ':id': factor.factorId } : {}),
      },
    });
    if (added) return 'added';
    const user = await table.get<UserFactors>(key);
    return hash && user?.byDestination[hash] ? 'exists' : 'too_many';
  },

  renewActivation: async (clientId, userId, factorId, activation, sentBefore) =>
    (await table.update(keys.userFactors(clientId, userId), {
      update: 'SET factors.#id.activation = :activation',
      condition:
        'factors.#id.#status = :pending AND (attribute_not_exists(factors.#id.activation.lastSentAt) OR factors.#id.activation.lastSentAt <= :before)',
      names: names(factorId),
      values: { ':activation': activation, ':pending': PENDING, ':before': sentBefore },
    })) !== undefined,

  activationFailed: async (clientId, userId, factorId) => {
    const user = await table.update<UserFactors>(keys.userFactors(clientId, userId), {
      update: 'ADD factors.#id.activation.attempts :one',
      condition: 'factors.#id.#status = :pending AND attribute_exists(factors.#id.activation)',
      names: names(factorId),
      values: { ':one': 1, ':pending': PENDING },
    });
    return user?.factors[factorId]?.activation?.attempts;
  },

  activate: async (clientId, userId, factorId, proof, nowSeconds, maxAttempts) => {
    const byCode = 'codeMac' in proof;
    const activated = await table.update(keys.userFactors(clientId, userId), {
      update: `SET factors.#id.#status = :active, factors.#id.activatedAt = :now${byCode ? '' : ', factors.#id.lastStep = :step'} REMOVE factors.#id.activation`,
      condition: `factors.#id.#status = :pending AND factors.#id.activation.expiresAt > :now AND factors.#id.activation.attempts < :max${byCode ? ' AND factors.#id.activation.codeMac = :mac' : ''}`,
      names: names(factorId),
      values: {
        ':active': ACTIVE,
        ':pending': PENDING,
        ':now': nowSeconds,
        ':max': maxAttempts,
        ...(byCode ? { ':mac': proof.codeMac } : { ':step': proof.step }),
      },
    });
    return activated !== undefined;
  },

  remove: async (clientId, userId, factorId, destinationHash) =>
    (await table.update(keys.userFactors(clientId, userId), {
      update: `REMOVE factors.#id${destinationHash ? ', byDestination.#hash' : ''} ADD factorCount :minus`,
      condition: 'attribute_exists(factors.#id)',
      names: destinationHash ? { '#id': factorId, '#hash': destinationHash } : { '#id': factorId },
      values: { ':minus': -1 },
    })) !== undefined,
});
