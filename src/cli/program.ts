/**
 * The `pochta` command line: builds the commander program and runs it. Errors the user can fix (UserError,
 * StoreError) print one line and exit 1; anything unexpected prints its stack and exits 70 (EX_SOFTWARE).
 */
import { Command, CommanderError } from 'commander';
import { StoreError, UserError } from '../lib/errors.js';
import { createContext } from './context.js';
import type { CliRuntime } from './runtime.js';
import { registerConfigCommands } from './commands/config.js';
import { registerDomainCommands } from './commands/domain.js';
import { registerUserCommands } from './commands/user.js';
import { registerAliasCommands } from './commands/alias.js';
import { registerServeCommand } from './commands/serve.js';
import { registerQueueCommands } from './commands/queue.js';
import { registerSendmailCommands } from './commands/sendmail.js';
import { registerDnsCommands } from './commands/dns.js';
import { registerDkimCommands } from './commands/dkim.js';
import { registerRelayCommands } from './commands/relay.js';
import { registerImportCommands } from './commands/import.js';
import { registerBanCommands } from './commands/ban.js';

export function buildProgram(runtime: CliRuntime): Command {
  const program = new Command('pochta');
  program
    .description('pochta: a complete mail server (SMTP, submission, LMTP, IMAP, POP3)')
    .option('-c, --config <path>', 'config file (default $POCHTA_CONFIG or ./data/pochta.toml)')
    .option('--json', 'machine-readable output')
    .showHelpAfterError('(run pochta --help for usage)')
    .exitOverride();
  const ctx = createContext(program, runtime);
  registerServeCommand(program, ctx);
  registerConfigCommands(program, ctx);
  registerDomainCommands(program, ctx);
  registerUserCommands(program, ctx);
  registerAliasCommands(program, ctx);
  registerQueueCommands(program, ctx);
  registerSendmailCommands(program, ctx);
  registerDnsCommands(program, ctx);
  registerDkimCommands(program, ctx);
  registerRelayCommands(program, ctx);
  registerImportCommands(program, ctx);
  registerBanCommands(program, ctx);
  const overrideAll = (c: Command): void => c.commands.forEach((sub) => { sub.exitOverride(); overrideAll(sub); });
  overrideAll(program);
  return program;
}

export async function runCli(argv: string[], runtime: CliRuntime): Promise<void> {
  const program = buildProgram(runtime);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors have already been printed by commander.
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (e instanceof UserError || e instanceof StoreError) {
      process.stderr.write(`pochta: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`pochta: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  }
}
