/**
 * `pochta sendmail` (the sendmail(8) interface cron jobs and scripts use) and `pochta mailq`.
 *
 * sendmail reads a message on stdin and hands it to the running server over SMTP on loopback (the first `smtp`
 * listener; loopback is a trusted network by default, so the server relays it and queues remote recipients).
 * Options as Postfix's sendmail: -t (recipients from To/Cc/Bcc; Bcc removed), -i / -oi (a lone "." does not
 * end the message: we always read to EOF), -f SENDER, -F "Full Name". Exit codes follow sysexits(3).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import nodemailer from 'nodemailer';
import { UserError } from '../../lib/errors.js';
import { normalizeAddress } from '../../mail/address.js';
import { parseAddressList } from '../../mail/address-list.js';
import type { Config } from '../../config/index.js';
import type { CliContext } from '../context.js';
import { listQueue } from './queue.js';

const MAX_MESSAGE = 64 * 1024 * 1024;

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > MAX_MESSAGE) throw new UserError('sendmail: the message is larger than 64 MiB');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Splits header block and body; normalises line endings to CRLF. */
function splitMessage(raw: Buffer): { headers: string; body: string } {
  const text = raw.toString('latin1').replace(/\r?\n/g, '\r\n');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { headers: text.endsWith('\r\n') ? text : `${text}\r\n`, body: '' };
  return { headers: text.slice(0, end + 2), body: text.slice(end + 4) };
}

/** Header fields as [name, full field text] in order, folded lines kept. */
function headerFields(headers: string): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  for (const line of headers.split('\r\n')) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1]![1] += `\r\n${line}`;
    else fields.push([line.slice(0, Math.max(0, line.indexOf(':'))).trim().toLowerCase(), line]);
  }
  return fields;
}

function addressesIn(field: string): string[] {
  const value = field.slice(field.indexOf(':') + 1).replace(/\r\n[ \t]/g, ' ');
  return (parseAddressList(value) ?? [])
    .filter((a) => a.mailbox !== null && a.host !== null)
    .map((a) => `${a.mailbox}@${a.host}`);
}

function smtpTarget(config: Config): { host: string; ports: number[] } {
  const l = config.listeners.find((x) => x.protocol === 'smtp' && x.tls !== 'implicit') ?? config.listeners.find((x) => x.protocol === 'smtp');
  if (!l) throw new UserError('sendmail: the config has no smtp listener to hand the message to: add one to pochta.toml');
  const host = l.address === '::' || l.address === '0.0.0.0' ? '127.0.0.1' : l.address;
  // A server started without root serves ports below 1024 at port + 10000.
  const ports = l.port < 1024 ? [l.port, l.port + 10000] : [l.port];
  return { host, ports };
}

export function registerSendmailCommands(program: Command, ctx: CliContext): void {
  program
    .command('sendmail [recipients...]')
    .description('send a message read from stdin, like sendmail(8): -t -i -f SENDER -F NAME')
    .option('-t', 'take recipients from the To, Cc and Bcc headers (Bcc is removed)')
    .option('-i', 'ignore a lone dot line (always the case)')
    .option('-o <option>', 'sendmail -o options; -oi is accepted, others are ignored')
    .option('-f <sender>', 'envelope sender (default: your user name at server.hostname)')
    .option('-F <name>', 'full name for a From header that is added when missing')
    .allowUnknownOption(false)
    .action(async (recipientsArg: string[], opts: { t?: boolean; f?: string; F?: string }) => {
      const config = await ctx.loadConfig();
      const raw = await readStdin();
      const { headers, body } = splitMessage(raw);
      let fields = headerFields(headers);
      const recipients = recipientsArg.map((r) => {
        const n = normalizeAddress(r.includes('@') ? r : `${r}@${config.server.hostname}`);
        if (!n) throw new UserError(`sendmail: '${r}' is not a valid address`);
        return n;
      });
      if (opts.t) {
        for (const [name, field] of fields) if (name === 'to' || name === 'cc' || name === 'bcc') recipients.push(...addressesIn(field));
        fields = fields.filter(([name]) => name !== 'bcc');
      }
      if (recipients.length === 0) throw new UserError('sendmail: no recipients: give them as arguments or use -t');
      const sender = opts.f ?? `${userInfo().username}@${config.server.hostname}`;
      if (sender !== '' && sender !== '<>' && !normalizeAddress(sender)) throw new UserError(`sendmail: '${sender}' is not a valid sender address`);
      if (!fields.some(([n]) => n === 'from')) {
        fields.unshift(['from', `From: ${opts.F ? `"${opts.F.replace(/["\\]/g, '')}" ` : ''}<${sender}>`]);
      }
      const message = `${fields.map(([, f]) => f).join('\r\n')}\r\n\r\n${body}`;
      const { host, ports } = smtpTarget(config);
      let lastError: unknown;
      for (const port of ports) {
        const transport = nodemailer.createTransport({ host, port, secure: false, ignoreTLS: true, name: config.server.hostname });
        try {
          await transport.sendMail({ envelope: { from: sender === '<>' ? '' : sender, to: recipients }, raw: message });
          transport.close();
          return;
        } catch (e) {
          transport.close();
          lastError = e;
          if ((e as { code?: string }).code !== 'ESOCKET' && (e as { code?: string }).code !== 'ECONNECTION') break;
        }
      }
      const msg = lastError instanceof Error ? lastError.message : String(lastError);
      throw new UserError(`sendmail: the server at ${host}:${ports.join('/')} did not take the message (${msg}): is pochta running?`);
    });

  program
    .command('mailq')
    .description('list the outbound queue (same as pochta queue list)')
    .action(async () => {
      await listQueue(ctx, undefined);
    });
}
