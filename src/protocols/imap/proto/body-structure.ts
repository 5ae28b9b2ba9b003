/**
 * ENVELOPE, BODY and BODYSTRUCTURE values (RFC 3501 §7.4.2, RFC 9051 §7.5.2) built from the cached parse
 * in src/mail/structure.ts, as `ImapValue`s for the encoder.
 * - ENVELOPE: Sender and Reply-To default to From when absent (RFC 3501 §7.4.2).
 * - BODYSTRUCTURE adds extension data: md5, disposition, language, location for single parts; params,
 *   disposition, language, location for multiparts. BODY omits it.
 * - Address lists and the parts of a multipart are written without separating spaces, as the grammar says.
 * Pure.
 */

import type { Envelope, EnvelopeAddress, MimePart } from '../../../mail/structure.js';
import { atom, concat, nstringText, type EncodeOptions, type ImapValue } from './encode.js';

const SPACE = atom(' ');

/**
 * Version of the BODYSTRUCTURE/BODY encoding below: the FETCH layer caches the encoded texts per body in the
 * store under this number. Bump it whenever the output of `bodyStructureValue` changes.
 */
export const BODY_CACHE_VERSION = 1;

function addressValue(a: EnvelopeAddress): ImapValue {
  return [a.name, a.adl, a.mailbox, a.host];
}

/** RFC 9051 §9 env-from etc.: "(" 1*address ")" / NIL. */
function addressList(list: EnvelopeAddress[] | null): ImapValue {
  if (!list || list.length === 0) return null;
  return concat(list.map(addressValue));
}

/** RFC 3501 §7.4.2 ENVELOPE. */
export function envelopeValue(env: Envelope): ImapValue {
  const from = addressList(env.from);
  const sender = env.sender && env.sender.length ? addressList(env.sender) : from;
  const replyTo = env.replyTo && env.replyTo.length ? addressList(env.replyTo) : from;
  return [
    env.date,
    env.subject,
    from,
    sender,
    replyTo,
    addressList(env.to),
    addressList(env.cc),
    addressList(env.bcc),
    env.inReplyTo,
    env.messageId,
  ];
}

/** An address list as text (see addressList). */
function addressListText(list: EnvelopeAddress[] | null, opts: EncodeOptions): string {
  if (!list || list.length === 0) return 'NIL';
  let t = '(';
  for (const a of list) {
    t += `(${nstringText(a.name, opts)} ${nstringText(a.adl, opts)} ${nstringText(a.mailbox, opts)} ${nstringText(a.host, opts)})`;
  }
  return t + ')';
}

/**
 * The ENVELOPE as text whose UTF-8 encoding is exactly `encodeValue(envelopeValue(env), opts)`, without the
 * value tree (FETCH ENVELOPE of a whole mailbox).
 */
export function envelopeText(env: Envelope, opts: EncodeOptions = {}): string {
  const from = addressListText(env.from, opts);
  const sender = env.sender && env.sender.length ? addressListText(env.sender, opts) : from;
  const replyTo = env.replyTo && env.replyTo.length ? addressListText(env.replyTo, opts) : from;
  return (
    `(${nstringText(env.date, opts)} ${nstringText(env.subject, opts)} ${from} ${sender} ${replyTo} ` +
    `${addressListText(env.to, opts)} ${addressListText(env.cc, opts)} ${addressListText(env.bcc, opts)} ` +
    `${nstringText(env.inReplyTo, opts)} ${nstringText(env.messageId, opts)})`
  );
}

/** body-fld-param: ("NAME" "value" ...) or NIL. Names are shown upper-case, as in RFC 3501's examples. */
function paramsValue(params: Record<string, string>): ImapValue {
  const keys = Object.keys(params);
  if (!keys.length) return null;
  const out: ImapValue[] = [];
  for (const k of keys) out.push(k.toUpperCase(), params[k]!);
  return out;
}

/** body-fld-dsp: ("ATTACHMENT" ("FILENAME" "x")) or NIL. */
function dispositionValue(d: MimePart['disposition']): ImapValue {
  if (!d) return null;
  return [d.type.toUpperCase(), paramsValue(d.params)];
}

/** body-fld-lang: nstring / "(" string *(SP string) ")". */
function languageValue(lang: string[] | null): ImapValue {
  if (!lang || lang.length === 0) return null;
  if (lang.length === 1) return lang[0]!;
  return lang;
}

function isMessageWithEnvelope(p: MimePart): p is MimePart & { message: NonNullable<MimePart['message']> } {
  // RFC 9051 §9 media-message: MESSAGE/RFC822 and MESSAGE/GLOBAL carry envelope, body and lines
  return p.type === 'message' && (p.subtype === 'rfc822' || p.subtype === 'global') && p.message !== undefined;
}

/** The placeholder for a multipart without parts (the grammar needs 1*body). */
const EMPTY_TEXT_PART: ImapValue = ['TEXT', 'PLAIN', null, null, null, '7BIT', 0, 0];

/**
 * The BODYSTRUCTURE (`extensible` true) or BODY (false) value of a part.
 * Depth is bounded by the parser that built the structure.
 */
export function bodyStructureValue(part: MimePart, extensible: boolean): ImapValue {
  if (part.type === 'multipart') {
    const children = part.parts && part.parts.length ? part.parts.map((p) => bodyStructureValue(p, extensible)) : [EMPTY_TEXT_PART];
    const rest: ImapValue[] = [part.subtype.toUpperCase()];
    if (extensible) {
      // RFC 3501 §7.4.2 body-ext-mpart: params, disposition, language, location
      rest.push(paramsValue(part.params), dispositionValue(part.disposition), languageValue(part.language), part.location);
    }
    // "(" 1*body SP media-subtype [SP body-ext-mpart] ")": the bodies without spaces, then SP before each field
    const inner: ImapValue[] = [...children];
    for (const r of rest) inner.push(SPACE, r);
    return concat(inner);
  }
  const fields: ImapValue[] = [
    part.type.toUpperCase(),
    part.subtype.toUpperCase(),
    paramsValue(part.params),
    part.id,
    part.description,
    part.encoding,
    part.size,
  ];
  if (isMessageWithEnvelope(part)) {
    fields.push(envelopeValue(part.message.envelope), bodyStructureValue(part.message.root, extensible), part.lines);
  } else if (part.type === 'text') {
    fields.push(part.lines);
  }
  if (extensible) {
    // RFC 3501 §7.4.2 body-ext-1part: md5, disposition, language, location
    fields.push(part.md5, dispositionValue(part.disposition), languageValue(part.language), part.location);
  }
  return fields;
}
