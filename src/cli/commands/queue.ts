/**
 * `pochta queue list|show ID|flush|retry ID|hold ID|release ID|delete ID`: the outbound queue as the
 * store holds it. The server is another process: flush/retry/release set the entry's next attempt to now,
 * and the running queue manager picks it up at its next poll of the store (every few seconds).
 */
import type { Command } from 'commander';
import { UserError } from '../../lib/errors.js';
import type { QueueEntry, QueueState, Store } from '../../store/types.js';
import type { CliContext } from '../context.js';
import type { Row } from '../output.js';

const STATES: readonly QueueState[] = ['queued', 'active', 'deferred', 'held', 'done'];

function entryRow(e: QueueEntry): Row {
  return {
    id: e.id,
    state: e.state,
    sender: e.sender === '' ? '<>' : e.sender,
    recipients: e.recipients.filter((r) => r.state === 'pending' || r.state === 'deferred').map((r) => r.address).join(', ') || '-',
    size: e.size,
    attempts: e.attempts,
    created: e.createdAt.toISOString(),
    next_attempt: e.nextAttemptAt.toISOString(),
    last_error: e.lastError,
  };
}

function entryDetail(e: QueueEntry): Row {
  return {
    ...entryRow(e),
    envid: e.envid,
    ret: e.ret,
    smtputf8: e.smtputf8,
    eight_bit: e.eightBit,
    delay_warned: e.delayWarned,
    blob: e.blobId,
    recipient_states: e.recipients.map((r) => `${r.address}: ${r.state}${r.lastResult ? ` (${r.lastResult})` : ''}`).join('\n'),
  };
}

async function requireEntry(store: Store, id: string): Promise<QueueEntry> {
  const e = await store.getQueueEntry(id);
  if (e === null) throw new UserError(`queue entry ${id} not found: see \`pochta queue list\``);
  return e;
}

/** `queue list` and `mailq`: every entry, or those in one state. */
export async function listQueue(ctx: CliContext, state: string | undefined): Promise<void> {
  if (state !== undefined && !STATES.includes(state as QueueState)) {
    throw new UserError(`queue list: --state must be one of ${STATES.join(', ')}`);
  }
  await ctx.withStore(async (store) => {
    const entries = await store.listQueue(state === undefined ? {} : { state: state as QueueState });
    ctx.output().table(entries.map(entryRow), ['id', 'state', 'sender', 'recipients', 'size', 'attempts', 'next_attempt', 'last_error']);
  });
}

export function registerQueueCommands(program: Command, ctx: CliContext): void {
  const queue = program.command('queue').description('inspect and manage the outbound mail queue');

  queue
    .command('list')
    .description('list queue entries (all states, or one with --state)')
    .option('--state <state>', `only entries in this state (${STATES.join(', ')})`)
    .action(async (opts: { state?: string }) => {
      await listQueue(ctx, opts.state);
    });

  queue
    .command('show <id>')
    .description('show one entry with the state and last result of every recipient')
    .action(async (id: string) => {
      await ctx.withStore(async (store) => {
        const e = await requireEntry(store, id);
        const d = entryDetail(e);
        const text = Object.entries(d)
          .map(([k, v]) => (k === 'recipient_states' ? `recipients:\n${String(v).replace(/^/gm, '  ')}` : `${k}: ${v === null ? '-' : String(v)}`))
          .join('\n');
        ctx.output().result(d, text);
      });
    });

  queue
    .command('flush')
    .description('retry every queued and deferred entry now (a running server picks them up within seconds)')
    .action(async () => {
      await ctx.withStore(async (store) => {
        const now = new Date();
        const entries = [...(await store.listQueue({ state: 'deferred' })), ...(await store.listQueue({ state: 'queued' }))];
        for (const e of entries) await store.setQueueState(e.id, 'queued', now);
        ctx.output().result({ flushed: entries.length }, `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} scheduled for delivery now`);
      });
    });

  queue
    .command('retry <id>')
    .description('retry one entry now')
    .action(async (id: string) => {
      await ctx.withStore(async (store) => {
        const e = await requireEntry(store, id);
        if (e.state === 'held') throw new UserError(`queue entry ${id} is held: use \`pochta queue release ${id}\``);
        if (e.state === 'active' || e.state === 'done') throw new UserError(`queue entry ${id} is ${e.state}: nothing to retry`);
        const u = await store.setQueueState(id, 'queued', new Date());
        ctx.output().result(entryRow(u), `queue entry ${id} scheduled for delivery now`);
      });
    });

  queue
    .command('hold <id>')
    .description('keep an entry in the queue without delivering it')
    .action(async (id: string) => {
      await ctx.withStore(async (store) => {
        const e = await requireEntry(store, id);
        if (e.state === 'done') throw new UserError(`queue entry ${id} is done: nothing to hold`);
        const u = await store.setQueueState(id, 'held');
        ctx.output().result(entryRow(u), `queue entry ${id} held`);
      });
    });

  queue
    .command('release <id>')
    .description('release a held entry for delivery now')
    .action(async (id: string) => {
      await ctx.withStore(async (store) => {
        const e = await requireEntry(store, id);
        if (e.state !== 'held') throw new UserError(`queue entry ${id} is ${e.state}, not held`);
        const u = await store.setQueueState(id, 'queued', new Date());
        ctx.output().result(entryRow(u), `queue entry ${id} released`);
      });
    });

  queue
    .command('delete <id>')
    .description('remove an entry without delivering it or sending a bounce')
    .action(async (id: string) => {
      await ctx.withStore(async (store) => {
        await requireEntry(store, id);
        await store.deleteQueueEntry(id);
        ctx.output().result({ id, deleted: true }, `queue entry ${id} deleted`);
      });
    });
}
