/**
 * APPEND (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502), LITERAL+ and literal8 (RFC 3516), flags and
 * internal dates; answers `OK [APPENDUID validity uids]` (RFC 4315). Each message is parsed once
 * (structure + search text), its body written durably, then referenced by the store; APPEND OK only after
 * that (DESIGN.md "Durability"). A missing mailbox is NO [TRYCREATE]; over quota NO [OVERQUOTA].
 * MULTIAPPEND is checked up front (mailbox, sizes, quota); its bodies are written concurrently and its rows
 * share one group commit, each in its own savepoint: a message that fails to store does not undo the others.
 */
import { parseMessage } from '../../../../mail/parse-message.js';
import { extractSearchText } from '../../../../mail/search-text.js';
import { defineCommand, no, ok } from '../command.js';
import { accountOf } from '../mailbox-util.js';
import { AUTH } from '../state.js';

export const appendCommand = defineCommand({
  names: ['APPEND'],
  states: AUTH,
  async run(ctx, cmd) {
    const store = ctx.deps.store;
    const account = accountOf(ctx);
    const mb = await store.getMailbox(account.id, cmd.mailbox);
    if (!mb) return no('Mailbox does not exist', 'TRYCREATE');
    const limit = ctx.deps.config.imap.max_literal_size ?? ctx.deps.config.smtp.max_message_size;
    let total = 0;
    for (const m of cmd.messages) {
      if (m.data.length === 0) return no('Empty message', 'CANNOT');
      // RFC 7889: larger than APPENDLIMIT.
      if (m.data.length > limit) return no('Message too large', 'TOOBIG');
      total += m.data.length;
    }
    if (account.quotaBytes > 0) {
      const usage = await store.getUsage(account.id);
      if (usage.bytes + total > account.quotaBytes) return no('Quota exceeded', 'OVERQUOTA');
    }
    // Every body is parsed and written (with its fsyncs) concurrently, then all rows are submitted in the
    // same event-loop turn: the store's group commit stores them in one transaction, UIDs in message order.
    const bodies = await Promise.all(
      cmd.messages.map(async (m) => {
        const structure = parseMessage(m.data);
        const searchText = extractSearchText(m.data, structure);
        const ref = await store.blobs.put(m.data);
        return { blobId: ref.id, size: ref.size, structure, searchText };
      }),
    );
    const results = await Promise.allSettled(
      cmd.messages.map((m, i) => {
        const flags = m.flags.filter((f) => f.toLowerCase() !== '\\recent');
        return store.appendMessage(mb.id, bodies[i]!, { flags, ...(m.date ? { internalDate: m.date.date } : {}) });
      }),
    );
    const uids: number[] = [];
    for (const r of results) {
      if (r.status === 'rejected') throw r.reason;
      uids.push(r.value.uid);
    }
    return ok('APPEND completed', `APPENDUID ${mb.uidValidity} ${uids.join(',')}`);
  },
});
