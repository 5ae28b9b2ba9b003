/**
 * deliverMessage: the data-phase end of the pipeline. Given an envelope whose recipients were already
 * accepted at RCPT time (via Directory.resolveRecipient and the relay decision) and the complete message
 * (the caller's Received header and check tags already prepended), it
 *   1. refuses the message when it has more than `maxReceived` Received fields (RFC 5321 §6.3);
 *   2. writes the body ONCE to the BlobStore (durable before any metadata references it), shared by the
 *      local target and the queue;
 *   3. resolves every recipient again (the directory may have changed since RCPT) into local accounts and
 *      remote addresses; a local target whose Delivered-To is already in the message is refused (loop.ts);
 *   4. runs the two-phase delivery on the local target and on the queue target. Copies an alias forwards to
 *      remote addresses get the reverse-path `deps.srs` gives (SRS, srs-routing.ts): a queue entry of their own
 *      when it differs from the envelope's.
 *
 * Returns one outcome per envelope recipient, in envelope order (LMTP replies per RCPT, RFC 2033 §4.2).
 * An outcome's `error` is null when at least one of its expanded targets took the message; failed
 * expansions of an otherwise delivered alias stay listed in `results` (error set) for the caller to
 * report (a DSN, once the queue issue provides it). When every target failed, `error` is a temporary
 * failure if any was temporary (so the sender retries), else the first permanent one.
 */

import { MailError } from '../lib/errors.js';
import type { Directory, RecipientResolution } from '../directory/directory.js';
import type { BlobRef, BlobStore } from '../store/types.js';
import { checkHopCount, detectLoop } from './loop.js';
import type { SenderRewriter } from './srs-routing.js';
import type { Envelope, EnvelopeRecipient, RecipientResult, RoutedRecipient, Target } from './types.js';

export interface PipelineDeps {
  directory: Directory;
  blobs: BlobStore;
  local: Target;
  queue: Target;
  /** Config `plus_separator`. */
  plusSeparator: string;
  /** Config `max_received_headers`. */
  maxReceived: number;
  /** Where postmaster@<served domain> without an account goes (see directory.ts). */
  postmaster?: string;
  /** SRS for forwarded copies (config [srs]); absent: the sender is kept. */
  srs?: SenderRewriter;
}

export interface RecipientOutcome {
  recipient: EnvelopeRecipient;
  error: MailError | null;
  results: RecipientResult[];
}

/** The RCPT-time reply for a resolution that is not deliverable (null when it is). */
export function resolutionError(res: RecipientResolution): MailError | null {
  switch (res.kind) {
    case 'local':
    case 'not-local':
      return null;
    // RFC 3463 X.1.1: bad destination mailbox address.
    case 'unknown':
      return new MailError('No such user here', { code: 550, enhanced: '5.1.1', temporary: false });
    // RFC 3463 X.2.1: mailbox disabled, not accepting messages.
    case 'disabled':
      return new MailError('Mailbox disabled', { code: 550, enhanced: '5.2.1', temporary: false });
    // RFC 3463 X.4.6: routing loop detected (alias cycle, nesting too deep, or an unreasonable expansion).
    case 'loop':
      return new MailError('Mail loop detected in alias expansion', { code: 554, enhanced: '5.4.6', temporary: false });
  }
}

async function runTarget(
  target: Target,
  envelope: Readonly<Envelope>,
  rcpts: RoutedRecipient[],
  data: Buffer,
  blob: BlobRef,
): Promise<RecipientResult[]> {
  if (rcpts.length === 0) return [];
  const refused: RecipientResult[] = [];
  const delivery = await target.start(envelope);
  let accepted = 0;
  for (const rcpt of rcpts) {
    try {
      await delivery.addRcpt(rcpt);
      accepted++;
    } catch (e) {
      refused.push({ recipient: rcpt, error: asMailError(e) });
    }
  }
  if (accepted === 0) {
    await delivery.abort();
    return refused;
  }
  try {
    await delivery.body({ data, blob });
    return [...refused, ...(await delivery.commit())];
  } catch (e) {
    await delivery.abort().catch(() => undefined);
    const error = asMailError(e);
    return [...refused, ...rcpts.filter((r) => !refused.some((x) => x.recipient === r)).map((recipient) => ({ recipient, error }))];
  }
}

function asMailError(e: unknown): MailError {
  return e instanceof MailError ? e : new MailError('Temporary local problem', { cause: e });
}

export async function deliverMessage(
  deps: PipelineDeps,
  envelope: Readonly<Envelope>,
  message: Buffer,
): Promise<RecipientOutcome[]> {
  const hop = checkHopCount(message, deps.maxReceived);
  if (hop !== null) return envelope.recipients.map((recipient) => ({ recipient, error: hop, results: [] }));

  const early = new Map<EnvelopeRecipient, MailError>();
  const loops: RecipientResult[] = [];
  const local: RoutedRecipient[] = [];
  let remote: RoutedRecipient[] = [];
  /** Remote targets reached through an alias (forwarding), among `remote`. */
  const viaAlias = new Set<RoutedRecipient>();
  for (const original of envelope.recipients) {
    let res: RecipientResolution;
    try {
      res = await deps.directory.resolveRecipient(original.address, {
        plusSeparator: deps.plusSeparator,
        ...(deps.postmaster === undefined ? {} : { postmaster: deps.postmaster }),
      });
    } catch (cause) {
      early.set(original, new MailError('Temporary local problem', { cause }));
      continue;
    }
    if (res.kind === 'not-local') {
      remote.push({ address: original.address, original });
      continue;
    }
    if (res.kind !== 'local') {
      early.set(original, resolutionError(res) as MailError);
      continue;
    }
    for (const t of res.targets) {
      const routed: RoutedRecipient = { address: t.address, account: t.account, original };
      // qmail's rule: this message was already delivered to this address once (RFC 3463 X.4.6).
      const loop = detectLoop(message, t.address, deps.maxReceived);
      if (loop !== null) loops.push({ recipient: routed, error: loop });
      else local.push(routed);
    }
    for (const address of res.remote) {
      const routed: RoutedRecipient = { address, original };
      viaAlias.add(routed);
      remote.push(routed);
    }
  }

  // Forwarding without breaking SPF: the forwarded copies leave with our SRS sender (falls back to the
  // original sender when the lookup behind the decision fails: the mail still goes).
  let forwardEnvelope: Readonly<Envelope> = envelope;
  let forwarded: RoutedRecipient[] = [];
  if (viaAlias.size > 0 && deps.srs !== undefined && envelope.sender !== '') {
    const sender = await deps.srs.forwardSender(envelope.sender).catch(() => envelope.sender);
    if (sender !== envelope.sender) {
      forwardEnvelope = { ...envelope, sender };
      forwarded = remote.filter((r) => viaAlias.has(r));
      remote = remote.filter((r) => !viaAlias.has(r));
    }
  }

  let results = [...loops];
  if (local.length + remote.length + forwarded.length > 0) {
    // One durable copy of the body, shared by the local copies and the queue entry.
    let blob: BlobRef;
    try {
      blob = await deps.blobs.put(message);
    } catch (cause) {
      const error = new MailError('Temporary local problem', { cause });
      return envelope.recipients.map((recipient) => ({ recipient, error: early.get(recipient) ?? error, results: [] }));
    }
    const [l, q, f] = await Promise.all([
      runTarget(deps.local, envelope, local, message, blob),
      runTarget(deps.queue, envelope, remote, message, blob),
      runTarget(deps.queue, forwardEnvelope, forwarded, message, blob),
    ]);
    results = [...results, ...l, ...q, ...f];
  }

  return envelope.recipients.map((recipient): RecipientOutcome => {
    const pre = early.get(recipient);
    if (pre !== undefined) return { recipient, error: pre, results: [] };
    const mine = results.filter((r) => r.recipient.original === recipient);
    if (mine.length === 0) return { recipient, error: new MailError('Temporary local problem'), results: mine };
    if (mine.some((r) => r.error === null)) return { recipient, error: null, results: mine };
    const errors = mine.map((r) => r.error as MailError);
    return { recipient, error: errors.find((e) => e.temporary) ?? (errors[0] as MailError), results: mine };
  });
}
