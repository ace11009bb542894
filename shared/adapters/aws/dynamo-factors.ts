import type { StepUpGuard, UserFactors } from '../../domain/entities.js';
import type { AuditWrite, FactorStore } from '../../ports/store.js';
import { keys } from '../../table.js';
import { conditionalDone, type TableOps } from './dynamo-table.js';

const PENDING = 'PENDING_ACTIVATION';
const ACTIVE = 'ACTIVE';
const F = 'factors.#id';

/** The parts of one update expression, joined by {@link write}. */
interface Parts {
  readonly set?: readonly string[];
  readonly remove?: readonly string[];
  readonly add?: readonly string[];
  readonly condition?: readonly string[];
  readonly names?: Record<string, string>;
  readonly values?: Record<string, unknown>;
  /** Audit events the write records on the user's chain. */
  readonly audit?: AuditWrite;
}

/**
 * The step-up guard as expression parts: "still no ACTIVE factor", or "this token not spent on
 * another factor" (then spent on this one, and expired entries pruned).
 */
const guardParts = (guard: StepUpGuard | undefined): Parts => {
  if (!guard) return {};
  if (guard.kind === 'no_active_factor') {
    return { condition: ['activeCount = :noneActive'], values: { ':noneActive': 0 } };
  }
  const prune = guard.prune.filter((jti) => jti !== guard.jti);
  return {
    set: ['stepUps.#jti = :use'],
    remove: prune.map((_, i) => `stepUps.#spent${i}`),
    condition: ['(attribute_not_exists(stepUps.#jti) OR stepUps.#jti.factorId = :useFactor)'],
    names: {
      '#jti': guard.jti,
      ...Object.fromEntries(prune.map((jti, i) => [`#spent${i}`, jti])),
    },
    values: { ':use': guard.use, ':useFactor': guard.use.factorId },
  };
};

const merge = (...all: Parts[]): Required<Omit<Parts, 'audit'>> & Pick<Parts, 'audit'> => ({
  set: all.flatMap((p) => p.set ?? []),
  remove: all.flatMap((p) => p.remove ?? []),
  add: all.flatMap((p) => p.add ?? []),
  condition: all.flatMap((p) => p.condition ?? []),
  names: Object.assign({}, ...all.map((p) => p.names ?? {})),
  values: Object.assign({}, ...all.map((p) => p.values ?? {})),
  audit: all.find((p) => p.audit)?.audit,
});

/** Factors of a user live in one item (with their transactions), so limits, duplicates and counters are atomic. */
export const dynamoFactorStore = (table: TableOps): FactorStore => {
  const write = async (clientId: string, userId: string, ...parts: Parts[]) => {
    const p = merge(...parts);
    const clauses = [
      p.set.length ? `SET ${p.set.join(', ')}` : '',
      p.remove.length ? `REMOVE ${p.remove.join(', ')}` : '',
      p.add.length ? `ADD ${p.add.join(', ')}` : '',
    ].filter(Boolean);
    const names = Object.keys(p.names).length ? p.names : undefined;
    const values = Object.keys(p.values).length ? p.values : undefined;
    return table.write<UserFactors>(keys.userFactors(clientId, userId), {
      update: clauses.join(' '),
      ...(p.condition.length ? { condition: p.condition.join(' AND ') } : {}),
      ...(names ? { names } : {}),
      ...(values ? { values } : {}),
      ...(p.audit ? { audit: p.audit } : {}),
    });
  };
  const factorNames = (factorId: string) => ({ '#id': factorId, '#status': 'status' });

  return {
    getUser: (clientId, userId) => table.get<UserFactors>(keys.userFactors(clientId, userId)),

    prepareGuards: async (clientId, userId, activeCount) => {
      await write(clientId, userId, {
        set: [
          'activeCount = if_not_exists(activeCount, :active)',
          'stepUps = if_not_exists(stepUps, :empty)',
        ],
        condition: ['attribute_exists(pk)'],
        values: { ':active': activeCount, ':empty': {} },
      });
    },

    add: async (clientId, userId, factor, { maxFactors, activeCount, guard, audit }) => {
      // Nested map paths need their parent maps: create them once, idempotently.
      await write(clientId, userId, {
        set: [
          'factors = if_not_exists(factors, :empty)',
          'byDestination = if_not_exists(byDestination, :empty)',
          'txns = if_not_exists(txns, :empty)',
          'stepUps = if_not_exists(stepUps, :empty)',
          'factorCount = if_not_exists(factorCount, :zero)',
          'activeCount = if_not_exists(activeCount, :active)',
          'clientId = :c',
          'userId = :u',
        ],
        values: { ':empty': {}, ':zero': 0, ':active': activeCount, ':c': clientId, ':u': userId },
      });
      const hash = factor.destinationHash;
      const added = await write(
        clientId,
        userId,
        {
          set: [`${F} = :factor`, ...(hash ? ['byDestination.#hash = :fid'] : [])],
          // A factor active from its enrollment (a PIN) counts as active at once.
          add: ['factorCount :one', ...(factor.status === ACTIVE ? ['activeCount :one'] : [])],
          condition: [
            'factorCount < :max',
            ...(hash ? ['attribute_not_exists(byDestination.#hash)'] : []),
          ],
          names: { '#id': factor.factorId, ...(hash ? { '#hash': hash } : {}) },
          values: {
            ':factor': factor,
            ':one': 1,
            ':max': maxFactors,
            ...(hash ? { ':fid': factor.factorId } : {}),
          },
          audit,
        },
        guardParts(guard),
      );
      return conditionalDone(added);
    },

    renewActivation: async (clientId, userId, factorId, activation, { sentBefore, guard }) =>
      conditionalDone(
        await write(
          clientId,
          userId,
          {
            set: [`${F}.activation = :activation`],
            condition: [
              `${F}.#status = :pending`,
              `(attribute_not_exists(${F}.activation.lastSentAt) OR ${F}.activation.lastSentAt <= :before)`,
            ],
            names: factorNames(factorId),
            values: { ':activation': activation, ':pending': PENDING, ':before': sentBefore },
          },
          guardParts(guard),
        ),
      ),

    reserveActivationAttempt: async (clientId, userId, factorId, { nowSeconds, maxAttempts }) => {
      const user = await write(clientId, userId, {
        add: [`${F}.activation.attempts :one`],
        condition: [
          `${F}.#status = :pending`,
          `${F}.activation.expiresAt > :now`,
          `${F}.activation.attempts < :max`,
        ],
        names: factorNames(factorId),
        values: { ':one': 1, ':pending': PENDING, ':now': nowSeconds, ':max': maxAttempts },
      });
      if (!user.ok) return { ok: false, seen: user.item };
      return {
        ok: true,
        value: user.item.factors[factorId]?.activation?.attempts ?? 0,
        recorded: [],
      };
    },

    activate: async (clientId, userId, factorId, proof, { nowSeconds, guard, audit }) => {
      const byCode = 'codeMac' in proof;
      const registered = 'registered' in proof ? proof.registered : undefined;
      const activated = await write(
        clientId,
        userId,
        {
          set: [
            `${F}.#status = :active`,
            `${F}.activatedAt = :now`,
            ...(byCode ? [] : [`${F}.lastStep = :step`]),
            // A passkey: its sealed credential, sign counter, backup state and UV flag.
            ...(registered
              ? [
                  `${F}.sealedSecret = :sealed`,
                  `${F}.signCount = :count`,
                  `${F}.backupState = :bs`,
                  `${F}.userVerified = :uv`,
                ]
              : []),
          ],
          remove: [`${F}.activation`],
          add: ['activeCount :one'],
          // The attempt was reserved (and counted) before the comparison.
          condition: [
            `${F}.#status = :pending`,
            `${F}.activation.expiresAt > :now`,
            ...(byCode ? [`${F}.activation.codeMac = :mac`] : []),
          ],
          names: factorNames(factorId),
          values: {
            ':active': ACTIVE,
            ':pending': PENDING,
            ':now': nowSeconds,
            ':one': 1,
            ...(byCode ? { ':mac': proof.codeMac } : { ':step': proof.step }),
            ...(registered
              ? {
                  ':sealed': registered.sealedSecret,
                  ':count': registered.signCount,
                  ':bs': registered.backupState,
                  ':uv': registered.userVerified,
                }
              : {}),
          },
          audit,
        },
        guardParts(guard),
      );
      return conditionalDone(activated);
    },

    remove: async (clientId, userId, factor, { guard, audit }) => {
      const hash = factor.destinationHash;
      const active = factor.status === ACTIVE;
      return conditionalDone(
        await write(
          clientId,
          userId,
          {
            remove: [F, ...(hash ? ['byDestination.#hash'] : [])],
            add: ['factorCount :minus', ...(active ? ['activeCount :minus'] : [])],
            // The status it was read with: `activeCount` stays exact.
            condition: [`${F}.#status = :seen`],
            names: { ...factorNames(factor.factorId), ...(hash ? { '#hash': hash } : {}) },
            values: { ':minus': -1, ':seen': factor.status },
            audit,
          },
          guardParts(guard),
        ),
      );
    },
  };
};
