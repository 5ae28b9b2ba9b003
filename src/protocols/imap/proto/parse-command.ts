/**
 * Parses one framed IMAP command (tag, name, arguments with literals inline) into the typed `ImapCommand`
 * AST. Grammar: RFC 9051 §9 and RFC 3501 §9, plus RFC 7162 (CONDSTORE/QRESYNC), 4731 (ESEARCH), 5182
 * (SEARCHRES), 5256 (SORT/THREAD), 5258/5819 (LIST-EXTENDED/STATUS), 6851 (MOVE), 4315 (UIDPLUS),
 * 3516 (BINARY), 6855 (UTF8=ACCEPT), 3502 (MULTIAPPEND), 2971 (ID), 5161 (ENABLE), 4978 (COMPRESS),
 * 9208 (QUOTA), 6154 (SPECIAL-USE), 2342 (NAMESPACE).
 * Pure: errors are ParseError with `tag` set when the tag was readable. State checks (which commands are
 * allowed when) belong to the session.
 */

import { ParseError } from './errors.js';
import { parseImapDateTime } from './dates.js';
import { fromWireMailbox, HIERARCHY_SEPARATOR, validateNewMailboxName } from './mailbox-name.js';
import { parseFetchAtts } from './parse-fetch.js';
import { checkCharset, parseSearchCriteria, parseSearchProgram } from './search-ast.js';
import { parseSequenceSet, type SequenceSet } from './sequence-set.js';
import { Cursor, decodeUtf8 } from './tokenizer.js';
import type {
  AppendMessage,
  FetchAtt,
  ImapCommand,
  ListReturn,
  ListSelection,
  ParsedCommand,
  QresyncParams,
  SearchReturnOption,
  SortCriterion,
  SortKey,
  StatusItem,
  StoreAction,
} from './command-types.js';

export interface ParseCommandOptions {
  /** UTF8=ACCEPT enabled (RFC 6855): mailbox names are UTF-8, not modified UTF-7. */
  utf8?: boolean;
  /** Max nesting in SEARCH criteria; default 32. */
  maxSearchDepth?: number;
}

const STATUS_ITEMS = new Set<StatusItem>([
  'MESSAGES', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'DELETED', 'SIZE', 'RECENT', 'HIGHESTMODSEQ', 'APPENDLIMIT', 'MAILBOXID',
]);
const SEARCH_RETURNS = new Set<SearchReturnOption>(['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE']);
const SORT_KEYS = new Set<SortKey>(['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO']);
const MAX_ID_PAIRS = 30; // RFC 2971 §3.3

/** Parses a framed command; throws ParseError (with `tag` when known). */
export function parseCommand(bytes: Buffer, opts: ParseCommandOptions = {}): ParsedCommand {
  const c = new Cursor(bytes);
  let tag: string | null = null;
  try {
    tag = c.tag();
    c.sp();
    const name = c.atom('command name').toUpperCase();
    const command = new CommandParser(c, opts).parse(name);
    return { tag, command };
  } catch (e) {
    if (e instanceof ParseError) {
      e.tag = tag;
      throw e;
    }
    throw e;
  }
}

/** Non-throwing form of `parseCommand`. */
export function tryParseCommand(
  bytes: Buffer,
  opts: ParseCommandOptions = {},
): { ok: true; value: ParsedCommand } | { ok: false; error: ParseError } {
  try {
    return { ok: true, value: parseCommand(bytes, opts) };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: e };
    throw e;
  }
}

class CommandParser {
  constructor(private readonly c: Cursor, private readonly opts: ParseCommandOptions) {}

  parse(name: string): ImapCommand {
    const c = this.c;
    switch (name) {
      case 'CAPABILITY': case 'NOOP': case 'LOGOUT': case 'STARTTLS': case 'CHECK': case 'CLOSE':
      case 'UNSELECT': case 'IDLE': case 'NAMESPACE':
        c.end();
        return { kind: name };
      case 'EXPUNGE':
        c.end();
        return { kind: 'EXPUNGE', uids: null };
      case 'AUTHENTICATE': return this.authenticate();
      case 'LOGIN': {
        c.sp();
        const username = c.astring();
        c.sp();
        const password = c.astring();
        c.end();
        return { kind: 'LOGIN', username, password };
      }
      case 'ENABLE': {
        const capabilities: string[] = [];
        c.sp(); // RFC 5161: ENABLE 1*(SP capability)
        capabilities.push(c.atom('capability').toUpperCase());
        while (c.maybeSp()) capabilities.push(c.atom('capability').toUpperCase());
        c.end();
        return { kind: 'ENABLE', capabilities };
      }
      case 'SELECT': case 'EXAMINE': return this.select(name);
      case 'CREATE': return this.create();
      case 'DELETE': case 'SUBSCRIBE': case 'UNSUBSCRIBE': {
        c.sp();
        const mailbox = this.mailbox();
        c.end();
        return { kind: name, mailbox };
      }
      case 'RENAME': {
        c.sp();
        const from = this.mailbox();
        c.sp();
        const to = this.mailbox();
        validateNewMailboxName(to);
        c.end();
        return { kind: 'RENAME', from, to };
      }
      case 'LIST': return this.list();
      case 'LSUB': {
        c.sp();
        const reference = this.mailbox();
        c.sp();
        const pattern = this.pattern();
        c.end();
        return { kind: 'LSUB', reference, pattern };
      }
      case 'STATUS': {
        c.sp();
        const mailbox = this.mailbox();
        c.sp();
        const items = this.statusItems();
        c.end();
        return { kind: 'STATUS', mailbox, items };
      }
      case 'APPEND': return this.append();
      case 'SEARCH': return this.search(false);
      case 'FETCH': return this.fetch(false);
      case 'STORE': return this.store(false);
      case 'COPY': case 'MOVE': return this.copy(name, false);
      case 'SORT': return this.sort(false);
      case 'THREAD': return this.thread(false);
      case 'UID': return this.uid();
      case 'ID': return this.id();
      case 'GETQUOTA': {
        c.sp();
        const root = c.astring();
        c.end();
        return { kind: 'GETQUOTA', root };
      }
      case 'GETQUOTAROOT': {
        c.sp();
        const mailbox = this.mailbox();
        c.end();
        return { kind: 'GETQUOTAROOT', mailbox };
      }
      case 'SETQUOTA': return this.setquota();
      case 'COMPRESS': {
        c.sp();
        const mechanism = c.atom('compression mechanism').toUpperCase();
        c.end();
        return { kind: 'COMPRESS', mechanism };
      }
      default:
        return { kind: 'UNKNOWN', name };
    }
  }

  private mailbox(): string {
    return fromWireMailbox(this.c.astring(), { utf8: this.opts.utf8 });
  }

  private pattern(): string {
    const p = this.c.listMailbox();
    return this.opts.utf8 ? p : fromWireMailbox(p);
  }

  private sequenceSet(): SequenceSet {
    return parseSequenceSet(this.c.untilSpace());
  }

  /** RFC 9051 §9 flag; `\Recent` and `\*` are not storable. */
  private flag(): string {
    const c = this.c;
    if (c.maybe('\\')) {
      if (c.is('*')) c.fail('\\* is not a storable flag');
      const f = '\\' + c.atom('flag');
      if (f.toLowerCase() === '\\recent') c.fail('\\Recent cannot be set');
      return canonicalFlag(f);
    }
    return c.atom('flag');
  }

  /** flag-list = "(" [flag *(SP flag)] ")" — the cursor is at "(". */
  private flagList(): string[] {
    const c = this.c;
    c.expect('(');
    const flags: string[] = [];
    if (c.maybe(')')) return flags;
    flags.push(this.flag());
    while (c.maybeSp()) flags.push(this.flag());
    c.expect(')');
    return flags;
  }

  private authenticate(): ImapCommand {
    const c = this.c;
    c.sp();
    const mechanism = c.atom('mechanism').toUpperCase();
    let initialResponse: string | null = null;
    if (c.maybeSp()) {
      // RFC 4959: SP (base64 / "=")
      const r = c.atom('initial response');
      if (r === '=') initialResponse = '';
      else if (/^[A-Za-z0-9+/]+={0,2}$/.test(r) && r.length % 4 === 0) initialResponse = r;
      else c.fail('Invalid base64 initial response');
    }
    c.end();
    return { kind: 'AUTHENTICATE', mechanism, initialResponse };
  }

  private select(kind: 'SELECT' | 'EXAMINE'): ImapCommand {
    const c = this.c;
    c.sp();
    const mailbox = this.mailbox();
    let condstore = false;
    let qresync: QresyncParams | null = null;
    if (c.maybeSp()) {
      c.expect('(');
      do {
        const param = c.atom('select parameter').toUpperCase();
        if (param === 'CONDSTORE') condstore = true; // RFC 7162 §3.1.8
        else if (param === 'QRESYNC') {
          // RFC 7162 §3.2.5: QRESYNC (uidvalidity modseq [known-uids] [(seqs uids)])
          c.sp();
          c.expect('(');
          const uidValidity = c.nzNumber();
          c.sp();
          const modseq = c.number64();
          let knownUids: SequenceSet | null = null;
          let seqMatch: QresyncParams['seqMatch'] = null;
          if (c.maybeSp() && !c.is('(')) {
            knownUids = parseSequenceSet(c.untilSpace(), { allowSaved: false, allowStar: false });
            c.maybeSp();
          }
          if (c.maybe('(')) {
            const seqs = parseSequenceSet(c.untilSpace(), { allowSaved: false, allowStar: false });
            c.sp();
            const uids = parseSequenceSet(c.untilSpace(), { allowSaved: false, allowStar: false });
            c.expect(')');
            seqMatch = { seqs, uids };
          }
          c.expect(')');
          qresync = { uidValidity, modseq, knownUids, seqMatch };
        } else c.fail(`Unknown select parameter ${param.slice(0, 30)}`);
      } while (c.maybeSp());
      c.expect(')');
    }
    c.end();
    return { kind, mailbox, condstore, qresync };
  }

  private create(): ImapCommand {
    const c = this.c;
    c.sp();
    let mailbox = this.mailbox();
    // RFC 3501 §6.3.3: a trailing separator declares intent to create children; the name is created without it
    if (mailbox.endsWith(HIERARCHY_SEPARATOR)) mailbox = mailbox.slice(0, -1);
    validateNewMailboxName(mailbox);
    const specialUse: string[] = [];
    if (c.maybeSp()) {
      c.expect('(');
      do {
        const param = c.atom('create parameter').toUpperCase();
        if (param !== 'USE') c.fail(`Unknown create parameter ${param.slice(0, 30)}`);
        // RFC 6154 §3: USE (use-attr *(SP use-attr))
        c.sp();
        c.expect('(');
        if (!c.is(')')) {
          do {
            c.expect('\\');
            specialUse.push(canonicalFlag('\\' + c.atom('special-use attribute')));
          } while (c.maybeSp());
        }
        c.expect(')');
      } while (c.maybeSp());
      c.expect(')');
    }
    c.end();
    return { kind: 'CREATE', mailbox, specialUse };
  }

  private list(): ImapCommand {
    const c = this.c;
    const selection: ListSelection = { subscribed: false, remote: false, recursiveMatch: false, specialUse: false };
    const returns: ListReturn = { subscribed: false, children: false, specialUse: false, myRights: false, status: null };
    let extended = false;
    c.sp();
    if (c.maybe('(')) {
      // RFC 5258 §3: list-select-opts
      extended = true;
      if (!c.is(')')) {
        do {
          const opt = c.atom('selection option').toUpperCase();
          if (opt === 'SUBSCRIBED') selection.subscribed = true;
          else if (opt === 'REMOTE') selection.remote = true;
          else if (opt === 'RECURSIVEMATCH') selection.recursiveMatch = true;
          else if (opt === 'SPECIAL-USE') selection.specialUse = true; // RFC 6154 §5.1
          else c.fail(`Unknown LIST selection option ${opt.slice(0, 30)}`);
        } while (c.maybeSp());
      }
      c.expect(')');
      // RFC 5258 §3: RECURSIVEMATCH alone is an error
      if (selection.recursiveMatch && !selection.subscribed && !selection.specialUse) {
        c.fail('RECURSIVEMATCH needs another selection option');
      }
      c.sp();
    }
    const reference = this.mailbox();
    c.sp();
    const patterns: string[] = [];
    if (c.maybe('(')) {
      extended = true;
      patterns.push(this.pattern());
      while (c.maybeSp()) patterns.push(this.pattern());
      c.expect(')');
    } else {
      patterns.push(this.pattern());
    }
    if (c.maybeSp()) {
      extended = true;
      if (!c.keyword('RETURN')) c.fail('Expected RETURN');
      c.sp();
      c.expect('(');
      if (!c.is(')')) {
        do {
          const opt = c.atom('return option').toUpperCase();
          if (opt === 'SUBSCRIBED') returns.subscribed = true;
          else if (opt === 'CHILDREN') returns.children = true;
          else if (opt === 'SPECIAL-USE') returns.specialUse = true;
          else if (opt === 'MYRIGHTS') returns.myRights = true;
          else if (opt === 'STATUS') {
            c.sp(); // RFC 5819 §2
            returns.status = this.statusItems();
          } else c.fail(`Unknown LIST return option ${opt.slice(0, 30)}`);
        } while (c.maybeSp());
      }
      c.expect(')');
    }
    c.end();
    return { kind: 'LIST', reference, patterns, selection, returns, extended };
  }

  /** "(" status-att *(SP status-att) ")". */
  private statusItems(): StatusItem[] {
    const c = this.c;
    c.expect('(');
    const items: StatusItem[] = [];
    do {
      const item = c.atom('status item').toUpperCase() as StatusItem;
      if (!STATUS_ITEMS.has(item)) c.fail(`Unknown status item ${item.slice(0, 30)}`);
      if (!items.includes(item)) items.push(item);
    } while (c.maybeSp());
    c.expect(')');
    return items;
  }

  private append(): ImapCommand {
    const c = this.c;
    c.sp();
    const mailbox = this.mailbox();
    const messages: AppendMessage[] = [];
    // RFC 3502: append = "APPEND" SP mailbox 1*append-message
    do {
      c.sp();
      let flags: string[] = [];
      let date: AppendMessage['date'] = null;
      if (c.is('(')) {
        flags = this.flagList();
        c.sp();
      }
      if (c.is('"')) {
        date = parseImapDateTime(decodeUtf8(c.quotedBytes()));
        c.sp();
      }
      if (c.keyword('UTF8')) {
        // RFC 6855 §4: "UTF8" SP "(" literal8 ")"
        c.sp();
        c.expect('(');
        if (!c.is('~')) c.fail('UTF8 APPEND data must be a literal8');
        const lit = c.literal();
        c.expect(')');
        messages.push({ flags, date, data: lit.data, binary: true, utf8: true });
      } else {
        if (!c.atLiteral()) c.fail('Expected a message literal');
        const lit = c.literal();
        messages.push({ flags, date, data: lit.data, binary: lit.binary, utf8: false });
      }
    } while (!c.atEnd);
    return { kind: 'APPEND', mailbox, messages };
  }

  /** RFC 4731 §3.1 search-return-opts = SP "RETURN" SP "(" [opt *(SP opt)] ")"; cursor after the command's SP. */
  private searchReturns(): SearchReturnOption[] | null {
    const c = this.c;
    if (!c.keyword('RETURN')) return null;
    c.sp();
    c.expect('(');
    const out: SearchReturnOption[] = [];
    if (!c.is(')')) {
      do {
        const opt = c.atom('return option').toUpperCase() as SearchReturnOption;
        if (!SEARCH_RETURNS.has(opt)) c.fail(`Unknown SEARCH return option ${opt.slice(0, 30)}`);
        if (!out.includes(opt)) out.push(opt);
      } while (c.maybeSp());
    }
    c.expect(')');
    c.sp();
    return out;
  }

  private search(uid: boolean): ImapCommand {
    const c = this.c;
    c.sp();
    const returns = this.searchReturns();
    const program = parseSearchProgram(c, { maxDepth: this.opts.maxSearchDepth });
    return { kind: 'SEARCH', uid, charset: program.charset, returns, criteria: program.key };
  }

  private fetch(uid: boolean): ImapCommand {
    const c = this.c;
    c.sp();
    const set = this.sequenceSet();
    c.sp();
    const atts: FetchAtt[] = parseFetchAtts(c);
    let changedSince: number | null = null;
    let vanished = false;
    if (c.maybeSp()) {
      c.expect('(');
      do {
        const mod = c.atom('fetch modifier').toUpperCase();
        if (mod === 'CHANGEDSINCE') {
          c.sp(); // RFC 7162 §3.1.4.1
          changedSince = c.number64();
        } else if (mod === 'VANISHED') vanished = true; // RFC 7162 §3.2.6
        else c.fail(`Unknown fetch modifier ${mod.slice(0, 30)}`);
      } while (c.maybeSp());
      c.expect(')');
    }
    c.end();
    // RFC 7162 §3.2.6: VANISHED only with UID FETCH and CHANGEDSINCE
    if (vanished && (!uid || changedSince === null)) c.fail('VANISHED requires UID FETCH with CHANGEDSINCE');
    return { kind: 'FETCH', uid, set, atts, changedSince, vanished };
  }

  private store(uid: boolean): ImapCommand {
    const c = this.c;
    c.sp();
    const set = this.sequenceSet();
    c.sp();
    let unchangedSince: number | null = null;
    if (c.maybe('(')) {
      // RFC 7162 §3.1.3 store-modifiers
      do {
        const mod = c.atom('store modifier').toUpperCase();
        if (mod !== 'UNCHANGEDSINCE') c.fail(`Unknown store modifier ${mod.slice(0, 30)}`);
        c.sp();
        unchangedSince = c.number64();
      } while (c.maybeSp());
      c.expect(')');
      c.sp();
    }
    let action: StoreAction = 'set';
    if (c.maybe('+')) action = 'add';
    else if (c.maybe('-')) action = 'remove';
    const item = c.atom('store item').toUpperCase();
    if (item !== 'FLAGS' && item !== 'FLAGS.SILENT') c.fail('Expected FLAGS or FLAGS.SILENT');
    c.sp();
    let flags: string[];
    if (c.is('(')) flags = this.flagList();
    else {
      flags = [this.flag()];
      while (c.maybeSp()) flags.push(this.flag());
    }
    c.end();
    return { kind: 'STORE', uid, set, action, silent: item === 'FLAGS.SILENT', flags, unchangedSince };
  }

  private copy(kind: 'COPY' | 'MOVE', uid: boolean): ImapCommand {
    const c = this.c;
    c.sp();
    const set = this.sequenceSet();
    c.sp();
    const mailbox = this.mailbox();
    c.end();
    return { kind, uid, set, mailbox };
  }

  private sort(uid: boolean): ImapCommand {
    const c = this.c;
    c.sp();
    const returns = this.searchReturns(); // RFC 5267 ESORT
    c.expect('(');
    const criteria: SortCriterion[] = [];
    do {
      let word = c.atom('sort key').toUpperCase();
      let reverse = false;
      if (word === 'REVERSE') {
        reverse = true;
        c.sp();
        word = c.atom('sort key').toUpperCase();
      }
      if (!SORT_KEYS.has(word as SortKey)) c.fail(`Unknown sort key ${word.slice(0, 30)}`);
      criteria.push({ key: word as SortKey, reverse });
    } while (c.maybeSp());
    c.expect(')');
    c.sp();
    const charset = checkCharset(c.astring());
    c.sp();
    const search = parseSearchCriteria(c, { maxDepth: this.opts.maxSearchDepth });
    return { kind: 'SORT', uid, criteria, charset, returns, search };
  }

  private thread(uid: boolean): ImapCommand {
    const c = this.c;
    c.sp();
    const word = c.atom('thread algorithm').toUpperCase();
    if (word !== 'REFERENCES' && word !== 'ORDEREDSUBJECT') throw new ParseError('syntax', `Unknown thread algorithm ${word.slice(0, 30)}`);
    const algorithm: 'REFERENCES' | 'ORDEREDSUBJECT' = word;
    c.sp();
    const charset = checkCharset(c.astring());
    c.sp();
    const search = parseSearchCriteria(c, { maxDepth: this.opts.maxSearchDepth });
    return { kind: 'THREAD', uid, algorithm, charset, search };
  }

  private uid(): ImapCommand {
    const c = this.c;
    c.sp();
    const name = c.atom('command name').toUpperCase();
    switch (name) {
      case 'FETCH': return this.fetch(true);
      case 'STORE': return this.store(true);
      case 'SEARCH': return this.search(true);
      case 'COPY': case 'MOVE': return this.copy(name, true);
      case 'SORT': return this.sort(true);
      case 'THREAD': return this.thread(true);
      case 'EXPUNGE': {
        c.sp(); // RFC 4315 §2.1
        const uids = parseSequenceSet(c.untilSpace());
        c.end();
        return { kind: 'EXPUNGE', uids };
      }
      default:
        return c.fail(`UID ${name.slice(0, 30)} is not a command`);
    }
  }

  private id(): ImapCommand {
    const c = this.c;
    c.sp();
    if (c.keyword('NIL')) {
      c.end();
      return { kind: 'ID', params: null };
    }
    c.expect('(');
    const params: Array<[string, string | null]> = [];
    if (!c.is(')')) {
      do {
        const key = c.string();
        c.sp();
        const value = c.nstring();
        if (params.length >= MAX_ID_PAIRS) c.fail('Too many ID parameters');
        params.push([key, value]);
      } while (c.maybeSp());
    }
    c.expect(')');
    c.end();
    return { kind: 'ID', params };
  }

  private setquota(): ImapCommand {
    const c = this.c;
    c.sp();
    const root = c.astring();
    c.sp();
    c.expect('(');
    const limits: Array<{ resource: string; limit: number }> = [];
    if (!c.is(')')) {
      do {
        const resource = c.atom('quota resource').toUpperCase();
        c.sp();
        limits.push({ resource, limit: c.number64() });
      } while (c.maybeSp());
    }
    c.expect(')');
    c.end();
    return { kind: 'SETQUOTA', root, limits };
  }
}

const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', '\\All', '\\Archive', '\\Drafts', '\\Junk', '\\Sent', '\\Trash', '\\Important'];

/** System flags and special-use attributes in their canonical case (`\SEEN` → `\Seen`). */
export function canonicalFlag(flag: string): string {
  const low = flag.toLowerCase();
  return SYSTEM_FLAGS.find((f) => f.toLowerCase() === low) ?? flag;
}
