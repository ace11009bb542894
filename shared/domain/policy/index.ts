/**
 * The per-app policy (API.md "Policy (per app)", issue 13), as pure domain code: the document
 * schema, the evaluator and the per-user state it reads and the service writes.
 */
export {
  type Cidr,
  cidrContains,
  type IpAddress,
  ipInAnyCidr,
  isCidr,
  parseCidr,
  parseIp,
} from './cidr.js';
export {
  type Decision,
  type EvaluateInput,
  type Exemption,
  evaluatePolicy,
  type PolicyDecision,
  scaClaim,
  type TraceEntry,
} from './evaluate.js';
export { TRA_DEFAULT_CURRENCY } from './exemptions.js';
export {
  AMOUNT_PATTERN,
  type AmountOperator,
  addAmounts,
  amountHolds,
  amountUnits,
  compareAmounts,
  isAmount,
  type Money,
  withinCeiling,
} from './money.js';
export { PolicyError, type PolicyErrorCode } from './policy-error.js';
export {
  COMPREHENSIVELY_SANCTIONED,
  defaultPolicy,
  EXTENSIVELY_SANCTIONED,
  SANCTIONED_JURISDICTIONS,
  SANCTIONED_RULE_ID,
  SANCTIONS_LIST_DATE,
} from './sanctioned.js';
export {
  type Level,
  type Policy,
  type PolicyConditions,
  type PolicyExemptions,
  type PolicyRule,
  parsePolicy,
  policySchema,
} from './schema.js';
export {
  type AfterScaInput,
  deviceRef,
  isRemembered,
  MAX_RECURRING_SERIES,
  MAX_REMEMBERED_DEVICES,
  seriesKey,
  stateAfterExempt,
  stateAfterSca,
  stateAfterVerify,
} from './state.js';
export {
  EMPTY_POLICY_STATE,
  type PolicyStart,
  type PolicyState,
  type PolicyTransaction,
  type PrimaryAuth,
  type RecurringSeries,
  type SinceSca,
  type TrustedPayee,
} from './types.js';
