/**
 * AUTHENTICATE (RFC 9051 §6.2.2) with PLAIN (RFC 4616) and LOGIN, SASL-IR initial responses (RFC 4959).
 * A `*` line cancels (BAD). Credentials go to the directory like LOGIN.
 */
import { bad, defineCommand, no, type CommandResult, type SessionContext } from '../command.js';
import { NOT_AUTH } from '../state.js';
import { finishLogin } from './login.js';

const CANCELLED = Symbol('cancelled');

/** Decodes one client response; '=' or '' is empty. */
function decodeResponse(line: string): Buffer | typeof CANCELLED | null {
  const t = line.trim();
  if (t === '*') return CANCELLED;
  if (t === '' || t === '=') return Buffer.alloc(0);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.length % 4 !== 0) return null;
  return Buffer.from(t, 'base64');
}

async function ask(ctx: SessionContext, challenge: string): Promise<Buffer | typeof CANCELLED | null> {
  await ctx.continuation(Buffer.from(challenge).toString('base64'));
  const line = await ctx.readLine();
  if (line === null) return CANCELLED;
  return decodeResponse(line.toString('latin1'));
}

async function authPlain(ctx: SessionContext, initial: string | null): Promise<CommandResult> {
  const resp = initial !== null ? decodeResponse(initial) : await ask(ctx, '');
  if (resp === CANCELLED) return bad('Authentication cancelled');
  if (resp === null) return bad('Invalid base64 response');
  // RFC 4616 §2: [authzid] NUL authcid NUL passwd
  const parts = resp.toString('utf8').split('\0');
  if (parts.length !== 3) return bad('Malformed PLAIN response');
  const [authz, authc, pass] = parts as [string, string, string];
  if (authz !== '' && authz.toLowerCase() !== authc.toLowerCase()) return no('Proxy authorization is not supported', 'AUTHORIZATIONFAILED');
  const account = await ctx.deps.directory.authenticate(authc, pass, { protocol: 'imap', remoteIp: ctx.remoteAddress });
  return finishLogin(ctx, account);
}

async function authLogin(ctx: SessionContext, initial: string | null): Promise<CommandResult> {
  const user = initial !== null ? decodeResponse(initial) : await ask(ctx, 'Username:');
  if (user === CANCELLED) return bad('Authentication cancelled');
  if (user === null) return bad('Invalid base64 response');
  const pass = await ask(ctx, 'Password:');
  if (pass === CANCELLED) return bad('Authentication cancelled');
  if (pass === null) return bad('Invalid base64 response');
  const account = await ctx.deps.directory.authenticate(user.toString('utf8'), pass.toString('utf8'), { protocol: 'imap', remoteIp: ctx.remoteAddress });
  return finishLogin(ctx, account);
}

export const authenticateCommand = defineCommand({
  names: ['AUTHENTICATE'],
  states: NOT_AUTH,
  async run(ctx, cmd) {
    if (ctx.loginDisabled) return no('Use STARTTLS first', 'PRIVACYREQUIRED');
    switch (cmd.mechanism.toUpperCase()) {
      case 'PLAIN':
        return authPlain(ctx, cmd.initialResponse);
      case 'LOGIN':
        return authLogin(ctx, cmd.initialResponse);
      default:
        return no('Unsupported authentication mechanism', 'CANNOT');
    }
  },
});
