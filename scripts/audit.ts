/**
 * `npm run audit -- verify --app ID --user ID [--url URL | --log-group NAME [--region R]]`:
 * checks one user's audit chain as anyone could, from the events alone (API.md "Audit
 * chain", `shared/domain/audit-chain.ts`): sorted by `seq` they must run 1, 2, 3, … with
 * every `hash` recomputed from the one before, each naming this app and user. Reads the
 * local runtime's event log (`GET /_local/events`), or the deployed audit log group
 * (`FilterLogEvents`, paged, progress on stderr). Prints `ok N events` and the head, or the
 * first break; exit 0 (ok), 1 (a break), 2 (usage error, or the events could not be read).
 */

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  type ChainAnchors,
  type ChainHead,
  checkChain,
  type Detail,
  type ReceiptAnchor,
} from '../shared/domain/audit-chain.js';
import { type ReceiptClaims, receiptDigest } from '../shared/domain/receipt.js';
import { userRef } from '../shared/domain/state-token.js';
import { maskedAccount } from '../shared/use-cases/audit.js';
import { type CliOutput, isMainModule, processOutput, UsageError } from './cli.js';

export const USAGE = `Usage: npm run audit -- verify --app ID (--user ID | --user-ref REF)
         [--url URL | --log-group NAME [--region R]]
         [--from SEQ:HASH] [--head SEQ:HASH] [--receipt FILE]...

Checks a user's audit chain: every event of the user, in seq order from 1, each hash
recomputed from the one before (API.md "Audit chain").
  --app ID            the app client id
  --user ID           the user id (or --user-ref REF: its SHA-256, base64url, as events hold it)
  --url URL           the local runtime (default http://localhost:3000): GET /_local/events
  --log-group NAME    the deployed audit log group (the stack output AuditLogGroupName)
  --region R          its region (default: the SDK's, e.g. AWS_REGION)
  --from SEQ:HASH     check from a head you trust (e.g. the last one you verified, once older
                      events have passed the log group's retention)
  --head SEQ:HASH     the chain must end here: the user item's auditSeq/auditHash after its
                      auditLog is sealed on (catches events dropped or added at the end)
  --receipt FILE      a receipt (compact JWS) whose audit {seq, hash} the chain must hold,
                      as its operation's success event saying what the receipt says;
                      repeatable (check the receipt itself with npm run receipt -- verify)
  -h, --help          this text
Prints "ok N events" or the first break (gap, wrong hash, duplicate, another user's event,
head mismatch, anchor missing, anchor not the receipt's event, anchor not after --from).
The same event delivered twice counts once.
Exit 0: the chain holds; 1: it breaks; 2: usage error, or the events could not be read.
`;

interface Owner {
  readonly clientId: string;
  readonly userRef: string;
}

interface Parsed {
  readonly owner: Owner;
  readonly anchors: ChainAnchors;
  readonly url: string;
  readonly logGroup?: string;
  readonly region?: string;
}

const parse = (argv: string[]): Parsed | 'help' => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      app: { type: 'string' },
      user: { type: 'string' },
      'user-ref': { type: 'string' },
      url: { type: 'string', default: 'http://localhost:3000' },
      'log-group': { type: 'string' },
      region: { type: 'string' },
      from: { type: 'string' },
      head: { type: 'string' },
      receipt: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length !== 1 || positionals[0] !== 'verify')
    throw new UsageError('expected the command "verify"');
  if (!values.app) throw new UsageError('--app is required');
  if ((values.user === undefined) === (values['user-ref'] === undefined))
    throw new UsageError('give one of --user or --user-ref');
  return {
    anchors: {
      ...(values.from ? { from: place('--from', values.from) } : {}),
      ...(values.head ? { head: place('--head', values.head) } : {}),
      ...(values.receipt ? { anchors: values.receipt.map(receiptAnchor) } : {}),
    },
    owner: {
      clientId: values.app,
      userRef: values['user-ref'] ?? userRef(values.user as string),
    },
    url: values.url,
    ...(values['log-group'] ? { logGroup: values['log-group'] } : {}),
    ...(values.region ? { region: values.region } : {}),
  };
};

/** `SEQ:HASH` as a chain head. */
const place = (option: string, text: string): ChainHead => {
  const match = /^(\d{1,15}):([A-Za-z0-9_-]{43})$/.exec(text);
  if (!match) throw new UsageError(`${option} takes SEQ:HASH (a number, a colon, 43 base64url)`);
  return { seq: Number(match[1]), hash: match[2] as string };
};

/**
 * A receipt's `audit` member and what it says of its operation (the JWS is read, not
 * verified: that is `npm run receipt`); the chain must hold that operation's success there,
 * saying the same.
 */
const receiptAnchor = (file: string): ReceiptAnchor => {
  let claims: Partial<ReceiptClaims> & { audit?: { seq?: unknown; hash?: unknown } };
  try {
    const payload = readFileSync(file, 'utf8').trim().split('.')[1] ?? '';
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new UsageError(`${file} is not a readable receipt (a compact JWS)`);
  }
  const { seq, hash } = claims.audit ?? {};
  if (typeof seq !== 'number' || typeof hash !== 'string')
    throw new UsageError(`${file} has no audit member (seq, hash)`);
  const { txn, aud, sub, policy, consent_id: consentId, payee_account: payeeAccount } = claims;
  if (typeof txn !== 'string' || typeof aud !== 'string' || typeof sub !== 'string')
    throw new UsageError(`${file} has no txn, aud or sub`);
  const payment = claims.authorization_details?.[0];
  return {
    seq,
    hash,
    txn,
    clientId: aud,
    userRef: userRef(sub),
    exempt: policy?.decision === 'exempt',
    ...(payment
      ? {
          transaction: {
            amount: payment.instructedAmount?.amount,
            currency: payment.instructedAmount?.currency,
            payee: payment.creditorName,
            ...(typeof payeeAccount === 'string'
              ? { payeeAccount: maskedAccount(payeeAccount) }
              : {}),
          },
        }
      : {}),
    ...(typeof consentId === 'string' ? { consentId } : {}),
    // Of the receipt as it is: any claim the service did not record changes it.
    receiptDigest: receiptDigest(claims),
    iat: typeof claims.iat === 'number' ? claims.iat : Number.NaN,
  };
};

/** Events of the local runtime's bus (it keeps the newest 5,000). */
const localEvents = async (base: string, owner: Owner): Promise<Detail[]> => {
  const url = new URL('/_local/events', base);
  url.searchParams.set('clientId', owner.clientId);
  url.searchParams.set('userRef', owner.userRef);
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url.pathname} answered ${response.status}`);
  const body = (await response.json()) as { events?: { detail?: Detail }[] };
  return (body.events ?? []).flatMap((event) => (event.detail ? [event.detail] : []));
};

/**
 * Events of the audit log group (the EventBridge rule's CloudWatch Logs target: one log
 * event per EventBridge event, its `detail` inside), filtered to the user, page by page.
 */
export const logGroupEvents = async (
  client: CloudWatchLogsClient,
  logGroupName: string,
  owner: Owner,
  progress: (line: string) => void,
): Promise<Detail[]> => {
  const details: Detail[] = [];
  const filterPattern = `{ ($.detail.clientId = ${JSON.stringify(owner.clientId)}) && ($.detail.userRef = ${JSON.stringify(owner.userRef)}) }`;
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(
      new FilterLogEventsCommand({ logGroupName, filterPattern, nextToken }),
    );
    for (const logged of page.events ?? []) {
      try {
        const detail = (JSON.parse(logged.message ?? '') as { detail?: Detail }).detail;
        if (detail) details.push(detail);
      } catch {
        progress(`skipped a log event that is not JSON (${logged.eventId ?? 'no id'})`);
      }
    }
    pages += 1;
    progress(`read ${pages} page${pages === 1 ? '' : 's'}, ${details.length} events`);
    nextToken = page.nextToken;
  } while (nextToken);
  return details;
};

/** Runs the CLI; `logs` makes the CloudWatch Logs client (tests point it at their endpoint). */
export const runAudit = async (
  argv: string[],
  io: CliOutput = processOutput,
  logs: (region?: string) => CloudWatchLogsClient = (region) =>
    new CloudWatchLogsClient(region ? { region } : {}),
): Promise<number> => {
  let parsed: Parsed | 'help';
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  const { owner, logGroup } = parsed;
  let details: Detail[];
  try {
    details = logGroup
      ? await logGroupEvents(logs(parsed.region), logGroup, owner, (line) => io.stderr(`${line}\n`))
      : await localEvents(parsed.url, owner);
  } catch (error) {
    io.stderr(`error: the events could not be read: ${(error as Error).message}\n`);
    return 2;
  }
  const result = checkChain(details, owner, parsed.anchors);
  if (result.ok) {
    const { head, anchors } = parsed.anchors;
    // Without an anchor the chain vouches only for itself: its hashes have no key, so whoever
    // can write the events can rewrite or cut it and compute the hashes again.
    const unanchored =
      head === undefined && !anchors?.length
        ? '; unanchored: consistent, but a chain rewritten or cut by whoever can write the events would pass too: check against --head or --receipt'
        : '';
    io.stdout(
      `ok ${result.count} events (head seq ${result.head.seq}, hash ${result.head.hash}${unanchored})\n`,
    );
    return 0;
  }
  const at = result.detail
    ? ` (${String(result.detail.type)}, eventId ${String(result.detail.eventId)})`
    : '';
  io.stdout(`break at seq ${result.seq}: ${result.reason}${at}\n`);
  return 1;
};

if (isMainModule(import.meta.filename)) {
  process.exitCode = await runAudit(process.argv.slice(2));
}
