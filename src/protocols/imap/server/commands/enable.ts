/**
 * ENABLE (RFC 5161; RFC 9051 §6.3.1): CONDSTORE, QRESYNC (RFC 7162), UTF8=ACCEPT (RFC 6855), IMAP4rev2.
 * Unknown capabilities are ignored; `* ENABLED` lists those newly enabled.
 */
import { atom } from '../../proto/index.js';
import { defineCommand, ok, type Enableable } from '../command.js';
import { AUTH } from '../state.js';

const KNOWN: Record<string, Enableable> = {
  CONDSTORE: 'CONDSTORE',
  QRESYNC: 'QRESYNC',
  'UTF8=ACCEPT': 'UTF8=ACCEPT',
  IMAP4REV2: 'IMAP4REV2',
};

export const enableCommand = defineCommand({
  names: ['ENABLE'],
  states: AUTH,
  async run(ctx, cmd) {
    const done: string[] = [];
    for (const c of cmd.capabilities) {
      const ext = KNOWN[c.toUpperCase()];
      if (!ext || ctx.enabled.has(ext)) continue;
      ctx.enable(ext);
      done.push(ext === 'IMAP4REV2' ? 'IMAP4rev2' : ext);
    }
    await ctx.untagged([atom('ENABLED'), ...done.map(atom)]);
    return ok('ENABLE completed');
  },
});
