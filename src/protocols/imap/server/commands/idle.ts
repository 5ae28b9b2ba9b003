/**
 * IDLE (RFC 2177; RFC 9051 §6.3.13): `+ idling`, then mailbox changes are pushed as they happen (EXPUNGE
 * allowed) until the client sends DONE. The change feed wakes the session; updates are batched per tick.
 */
import { bad, defineCommand, ok } from '../command.js';
import { AUTH } from '../state.js';

export const idleCommand = defineCommand({
  names: ['IDLE'],
  states: AUTH,
  async run(ctx) {
    await ctx.continuation('idling');
    ctx.setIdle(true);
    const st = ctx.state;
    let scheduled = false;
    if (st.kind === 'selected') {
      st.view.onPending = () => {
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          if (ctx.state === st) void ctx.flushUpdates(true).catch(() => undefined);
        });
      };
      await ctx.flushUpdates(true);
    }
    const line = await ctx.readLine();
    if (st.kind === 'selected') st.view.onPending = null;
    ctx.setIdle(false);
    if (line === null) return ok('IDLE terminated');
    if (line.toString('latin1').trim().toUpperCase() !== 'DONE') return bad('Expected DONE');
    return ok('IDLE terminated');
  },
});
