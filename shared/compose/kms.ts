import { KMSClient } from '@aws-sdk/client-kms';
import { oneClient } from '../deps.js';

/** This process's KMS client, shared by the secret box and the token signer. */
export const kmsClient = oneClient(() => new KMSClient({}));
