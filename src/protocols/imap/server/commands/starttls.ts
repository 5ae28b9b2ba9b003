/** STARTTLS (RFC 9051 §6.2.1): tagged OK in the clear, then the handshake; the client re-asks CAPABILITY. */
import { bad, defineCommand, ok } from '../command.js';
import { NOT_AUTH } from '../state.js';

export const starttlsCommand = defineCommand({
  names: ['STARTTLS'],
  states: NOT_AUTH,
  async run(ctx) {
    if (!ctx.canStartTls()) return bad(ctx.secure ? 'TLS is already active' : 'STARTTLS is not available here');
    return { ...ok('Begin TLS negotiation now'), after: () => ctx.startTls() };
  },
});
