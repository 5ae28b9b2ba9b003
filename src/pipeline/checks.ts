/**
 * Runs the checks of one SMTP phase in order (maddy's check pipeline). The first `reject` wins and stops the
 * phase; `tag` verdicts accumulate their header lines (in check order) for the data phase to prepend.
 *
 * A check that throws is a bug or an unexpected I/O failure: it becomes a temporary 451 4.3.0 for this
 * phase only (DESIGN.md "Errors"), with the exception kept as the cause for the log.
 */

import { MailError } from '../lib/errors.js';
import type { Check, ClientInfo, Envelope, EnvelopeRecipient, MessageView, Verdict } from './types.js';

export type CheckOutcome =
  | { kind: 'accept'; headers: string[] }
  | { kind: 'reject'; error: MailError; check: string };

type Call = (check: Check) => Promise<Verdict> | undefined;

async function run(checks: readonly Check[], call: Call): Promise<CheckOutcome> {
  const headers: string[] = [];
  for (const check of checks) {
    let verdict: Verdict | undefined;
    try {
      verdict = await call(check);
    } catch (cause) {
      return { kind: 'reject', check: check.name, error: new MailError('Temporary local problem', { cause }) };
    }
    if (verdict === undefined || verdict.kind === 'accept') continue;
    if (verdict.kind === 'reject') return { kind: 'reject', error: verdict.error, check: check.name };
    headers.push(verdict.header);
  }
  return { kind: 'accept', headers };
}

export function runConnectChecks(checks: readonly Check[], client: ClientInfo): Promise<CheckOutcome> {
  return run(checks, (c) => c.connect?.(client));
}

export function runMailFromChecks(
  checks: readonly Check[],
  client: ClientInfo,
  sender: string,
  envelope: Readonly<Envelope>,
): Promise<CheckOutcome> {
  return run(checks, (c) => c.mailFrom?.(client, sender, envelope));
}

export function runRcptChecks(
  checks: readonly Check[],
  recipient: EnvelopeRecipient,
  envelope: Readonly<Envelope>,
): Promise<CheckOutcome> {
  return run(checks, (c) => c.rcpt?.(recipient, envelope));
}

export function runDataChecks(
  checks: readonly Check[],
  message: MessageView,
  envelope: Readonly<Envelope>,
): Promise<CheckOutcome> {
  return run(checks, (c) => c.data?.(message, envelope));
}
