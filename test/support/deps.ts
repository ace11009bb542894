import { consentCheck } from '../../shared/compose/consent-check.js';
import { clientStore, rateLimiter, userStore } from '../../shared/compose/dynamo.js';
import { events } from '../../shared/compose/events.js';
import { messenger } from '../../shared/compose/messenger.js';
import { otpKeys } from '../../shared/compose/otp-key.js';
import { passkeyRegistrar } from '../../shared/compose/passkeys.js';
import { secretBox } from '../../shared/compose/secret-box.js';
import { signer } from '../../shared/compose/signer.js';
import { workflow } from '../../shared/compose/workflow.js';
import { composeDeps, type Part } from '../../shared/deps.js';

/** Every part: what a test reaches into (no function composes them all). */
export const ALL_PARTS: readonly Part[] = [
  clientStore,
  userStore,
  rateLimiter,
  otpKeys,
  secretBox,
  signer,
  messenger,
  events,
  workflow,
  consentCheck,
  passkeyRegistrar,
];

/**
 * All the dependencies, over the same overrides as the functions (`overrideDeps`): with a
 * local runtime started, its DynamoDB client, workflow, logger and clock.
 */
export const deps = composeDeps(ALL_PARTS);
