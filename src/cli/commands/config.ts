/** `pochta init` (write a commented example config) and `pochta check-config` (validate one). */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { renderExampleConfig } from '../../config/index.js';
import { UserError } from '../../lib/errors.js';
import { writeFileAtomic } from '../../lib/fs-atomic.js';
import { resolveConfigPath } from '../config-path.js';
import type { CliContext } from '../context.js';

export function registerConfigCommands(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('write a commented example config file (every key with its default)')
    .option('--force', 'overwrite an existing file')
    .option('--hostname <name>', 'the server name used in greetings and Received headers', hostname())
    .action(async (opts: { force?: boolean; hostname: string }) => {
      const { path } = resolveConfigPath(ctx.globals().config);
      if (existsSync(path) && !opts.force) throw new UserError(`${path} already exists: use --force to overwrite it`);
      await writeFileAtomic(path, renderExampleConfig({ hostname: opts.hostname, dataDir: '.' }), 0o640);
      ctx.output().result({ config: path }, `wrote ${path}`);
    });

  program
    .command('check-config')
    .description('validate the config file; prints the problem and exits non-zero when it is invalid')
    .action(async () => {
      const { path } = resolveConfigPath(ctx.globals().config);
      const config = await ctx.loadConfig();
      ctx.output().result({ config: path, valid: true, listeners: config.listeners.length }, `${path}: ok`);
    });
}
