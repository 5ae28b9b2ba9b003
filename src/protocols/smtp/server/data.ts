/**
 * DATA phase (RFC 5321 §4.1.1.4). The body arrives as smtp-server's dot-unstuffed stream and is buffered
 * (up to `max_message_size`; beyond it the rest is read and dropped, and the reply is 552 5.3.4, RFC 1870
 * §6.2). The whole transfer must end within `data_timeout`, else 421 and close. A client that drops
 * mid-DATA leaves nothing behind: delivery starts only after the final dot.
 *
 * Then: content checks (message-checks.ts), on submission the From:/Date/Message-ID fixes
 * (submission-headers.ts), the data-phase checks, for Internet mail on port 25 the antispam steps (SPF/DKIM/
 * DMARC/ARC with Authentication-Results, forged ones removed; DNSBL junk; the spam filter: reject, or Junk
 * delivery), Received (trace.ts) plus the check tags on top, for
 * authenticated users a DKIM signature (dkim-sign.ts), and the pipeline (deliverMessage: one blob, one store transaction, loop rules). The reply comes
 * only after the pipeline resolved, i.e. after the body is fsync'd and the metadata committed.
 *
 * SMTP has one reply per message: 250 when every recipient got it; when some did not, a temporary failure
 * of any recipient makes the whole message 451 (the sender retries; the others may get a duplicate: at
 * least once, DESIGN.md "Durability"), and permanent failures of some recipients next to successes are
 * logged (their DSN belongs to the queue issue). LMTP answers per recipient (lmtp.ts).
 */

import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { stripForgedAuthResults, stripSpamHeaders } from '../../../antispam/auth-results.js';
import { DnsblCheck } from '../../../antispam/dnsbl.js';
import { verifyInbound } from '../../../antispam/inbound-auth.js';
import { filterMessage, RspamdClient, SpamdClient } from '../../../antispam/spam-filter.js';
import { splitHostPort } from '../../../config/validators.js';
import { toResolveFunction } from '../../../dns/resolver.js';
import { newConnectionId } from '../../../lib/ids.js';
import { MailError } from '../../../lib/errors.js';
import { runDataChecks } from '../../../pipeline/checks.js';
import { deliverMessage, type PipelineDeps, type RecipientOutcome } from '../../../pipeline/deliver.js';
import { LocalDelivery } from '../../../pipeline/local-delivery.js';
import type { Envelope, EnvelopeRecipient } from '../../../pipeline/types.js';
import type { SessionState, SmtpContext } from './context.js';
import { signOutgoing } from './dkim-sign.js';
import { headerBlock, inspectMessage } from './message-checks.js';
import { refreshClient } from './mail-from.js';
import { prepareSubmission } from './submission-headers.js';
import { receivedHeader } from './trace.js';

export type Collected = { kind: 'ok'; data: Buffer } | { kind: 'too-big'; size: number } | { kind: 'aborted'; reason: string };

/** Reads the DATA stream to its end, keeping at most `maxBytes`; 'aborted' when the stream is destroyed. */
export function collectMessage(stream: SMTPServerDataStream, maxBytes: number, timeoutMs: number, onTimeout: () => void): Promise<Collected> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (c: Collected): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(c);
    };
    const timer = setTimeout(() => {
      onTimeout();
      finish({ kind: 'aborted', reason: 'data timeout' });
    }, timeoutMs);
    timer.unref();
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes && !stream.sizeExceeded) chunks.push(chunk);
    });
    stream.once('end', () => {
      if (stream.sizeExceeded || size > maxBytes) finish({ kind: 'too-big', size });
      else finish({ kind: 'ok', data: Buffer.concat(chunks, size) });
    });
    stream.once('error', (err: Error) => finish({ kind: 'aborted', reason: err.message }));
    stream.once('close', () => finish({ kind: 'aborted', reason: 'connection closed during DATA' }));
  });
}

/** The envelope of the current transaction, from smtp-server's session and what RCPT recorded. */
export function buildEnvelope(ctx: SmtpContext, state: SessionState, session: SMTPServerSession, id: string): Envelope {
  const recipients: EnvelopeRecipient[] = session.envelope.rcptTo.map((a) => state.rcpts.get(a) ?? { address: a.address });
  const dsn = session.envelope.dsn;
  const ret = dsn?.ret === 'FULL' || dsn?.ret === 'HDRS' ? dsn.ret : null;
  return {
    sender: state.sender,
    recipients,
    envid: dsn?.envid ?? null,
    ret,
    smtputf8: session.envelope.smtpUtf8 === true,
    body: session.envelope.bodyType === '8bitmime' ? '8BITMIME' : '7BIT',
    client: state.client,
    receivedVia: ctx.kind,
    id,
  };
}

/** The one SMTP reply for a message's outcomes: null for 250, else the error to send. */
export function smtpOutcomeError(outcomes: readonly RecipientOutcome[]): MailError | null {
  const failed = outcomes.filter((o) => o.error !== null).map((o) => o.error as MailError);
  if (failed.length === 0) return null;
  const temporary = failed.find((e) => e.temporary);
  if (temporary) return temporary;
  if (failed.length === outcomes.length) return failed[0] as MailError;
  return null; // some delivered, the rest failed permanently: 250 (their DSN is the queue's job)
}

export type DataResult =
  | { kind: 'error'; error: MailError }
  | { kind: 'delivered'; id: string; outcomes: RecipientOutcome[] }
  | { kind: 'aborted' };

/** Receives and delivers one message; never throws (an unexpected exception is a 451 4.3.0 result). */
export async function receiveMessage(
  ctx: SmtpContext,
  state: SessionState,
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  onDataTimeout: () => void,
): Promise<DataResult> {
  const s = ctx.settings;
  const collected = await collectMessage(stream, s.maxMessageSize, s.dataTimeoutMs, onDataTimeout);
  if (collected.kind === 'aborted') {
    state.log.info({ reason: collected.reason }, 'message not received, nothing stored');
    return { kind: 'aborted' };
  }
  if (collected.kind === 'too-big') {
    // RFC 1870 §6.2 / RFC 3463 X.3.4: message too big for system.
    return { kind: 'error', error: new MailError(`Message size exceeds fixed limit of ${s.maxMessageSize} bytes`, { code: 552, enhanced: '5.3.4', temporary: false }) };
  }
  const inspected = inspectMessage(collected.data, s.maxLineLength);
  if (!inspected.ok) return { kind: 'error', error: inspected.error };

  refreshClient(state, session);
  const id = newConnectionId();
  const envelope = buildEnvelope(ctx, state, session, id);
  let data: Buffer = inspected.data;
  let fromDomain: string | null = null;
  if (ctx.kind === 'submission' && state.auth !== null) {
    // RFC 6409 §8: From: owned by the user, missing Date and Message-ID added (submission-headers.ts).
    const prepared = prepareSubmission(data, {
      sender: envelope.sender,
      login: state.auth.login,
      owned: state.owned,
      plusSeparator: s.plusSeparator,
      hostname: s.hostname,
      now: new Date(),
    });
    if (!prepared.ok) {
      state.log.info({ id, login: state.auth.login, reply: `${prepared.error.code} ${prepared.error.enhanced}` }, 'submitted message refused');
      return { kind: 'error', error: prepared.error };
    }
    data = prepared.data;
    fromDomain = prepared.fromDomain;
  }

  const checked = await runDataChecks(ctx.checks, { header: headerBlock(data), body: data }, envelope);
  if (checked.kind === 'reject') return { kind: 'error', error: checked.error };

  // Inbound authentication (antispam/inbound-auth.ts): SPF/DKIM/DMARC/ARC of Internet mail on port 25;
  // forged Authentication-Results with our name go from every smtp/submission message (RFC 8601 §5).
  let authHeader = '';
  let junk = false;
  const as = ctx.deps.config.antispam;
  if (ctx.kind === 'smtp' && state.auth === null && as.authentication && state.client.ip !== '' && !s.trusted.has(state.client.ip)) {
    const v = await verifyInbound(
      data,
      { ip: state.client.ip, helo: state.client.helo, sender: envelope.sender },
      {
        authservId: s.hostname,
        resolve: toResolveFunction(ctx.deps.resolver),
        timeoutMs: as.auth_timeout * 1000,
        policy: { dmarcReject: as.dmarc_reject, dmarcQuarantine: as.dmarc_quarantine, spfFail: as.spf_fail },
      },
    );
    if (v.kind === 'reject') {
      state.log.info({ id, sender: envelope.sender, reason: v.reason, reply: `${v.error.code} ${v.error.enhanced}` }, 'message rejected by authentication policy');
      return { kind: 'error', error: v.error };
    }
    data = v.data;
    authHeader = v.header;
    junk = v.junk;
    if (junk) state.log.info({ id, reason: v.reason }, 'message filed to Junk');
  } else if (ctx.kind !== 'lmtp') {
    data = stripForgedAuthResults(data, s.hostname).data;
  }
  const dnsbl = ctx.checks.find((c): c is DnsblCheck => c instanceof DnsblCheck);
  if (dnsbl !== undefined && !junk && (await dnsbl.isJunk(state.client))) {
    junk = true;
    state.log.info({ id, ip: state.client.ip }, 'message filed to Junk: client on DNS blocklists');
  }

  const received = receivedHeader({
    kind: ctx.kind,
    extended: session.openingCommand !== 'HELO',
    secure: session.secure,
    authenticated: state.auth !== null,
    authenticatedAs: state.auth?.login ?? null,
    smtputf8: envelope.smtputf8,
    client: state.client,
    hostname: s.hostname,
    id,
    recipient: envelope.recipients.length === 1 ? (envelope.recipients[0]?.address ?? null) : null,
    date: new Date(),
  });
  // Newest trace on top: our check results, then our Received, then the message as received.
  const top = Buffer.from([...state.connectTags, ...state.tags, ...checked.headers].join('') + authHeader + received, 'utf8');
  let message: Buffer = Buffer.concat([top, data]);
  // Content filter (antispam/spam-filter.ts) for Internet mail: verdict headers on top; Junk or reject by score.
  if (as.spam_filter !== 'off' && ctx.kind === 'smtp' && state.auth === null && state.client.ip !== '' && !s.trusted.has(state.client.ip)) {
    const hp = splitHostPort(as.spam_filter_address ?? '127.0.0.1');
    const endpoint = { host: hp?.host ?? '127.0.0.1', port: hp?.port ?? (as.spam_filter === 'spamd' ? 783 : 11333), timeoutMs: as.spam_filter_timeout * 1000 };
    const filter = as.spam_filter === 'spamd' ? new SpamdClient(endpoint) : new RspamdClient(endpoint);
    const meta = { ip: state.client.ip, helo: state.client.helo, sender: envelope.sender, recipients: envelope.recipients.map((r) => r.address), hostname: s.hostname };
    // A forged verdict must not survive next to ours (or in its place when the filter is down).
    message = stripSpamHeaders(message).data;
    const f = await filterMessage(filter, message, meta, { rejectScore: as.spam_reject_score, onFailure: as.spam_filter_failure });
    if (f.failure !== null) state.log.warn({ id, filter: filter.name, err: f.failure }, 'spam filter unavailable');
    if (f.kind === 'reject') {
      state.log.info({ id, score: f.verdict?.score, reply: `${f.error.code} ${f.error.enhanced}` }, 'message refused by the spam filter');
      return { kind: 'error', error: f.error };
    }
    if (f.verdict !== null) state.log.info({ id, score: f.verdict.score, spam: f.verdict.isSpam }, 'spam filter verdict');
    message = Buffer.concat([Buffer.from(f.header, 'latin1'), message]);
    junk ||= f.junk;
  }
  // RFC 6376: mail of authenticated users is signed for its From: domain when that domain has a key.
  if (state.auth !== null) message = await signOutgoing(message, fromDomain, ctx.deps.config.server.data_dir, state.log);

  // DMARC quarantine and the like: local copies go to the Junk mailbox (INBOX when the account has none).
  const pipeline: PipelineDeps = junk ? { ...s.pipeline, local: new LocalDelivery(ctx.deps.store, { overQuota: s.overQuota, mailbox: 'Junk' }) } : s.pipeline;
  const outcomes = await deliverMessage(pipeline, envelope, message);
  for (const o of outcomes) {
    for (const r of o.results) {
      if (r.error !== null) {
        state.log.warn({ id, rcpt: r.recipient.address, reply: `${r.error.code} ${r.error.enhanced}`, err: r.error.cause ?? r.error.message }, 'recipient not delivered');
      }
    }
    if (o.error !== null && o.results.length === 0) {
      state.log.info({ id, rcpt: o.recipient.address, reply: `${o.error.code} ${o.error.enhanced}`, err: o.error.cause ?? o.error.message }, 'recipient refused at DATA');
    }
  }
  state.log.info({ id, sender: envelope.sender, rcpts: envelope.recipients.length, size: message.length, normalized: inspected.normalized }, 'message received');
  return { kind: 'delivered', id, outcomes };
}
