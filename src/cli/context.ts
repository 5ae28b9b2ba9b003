/**
 * The per-invocation context shared by CLI commands: global options, output, and a helper that opens the
 * store for the configured data directory (as root, after dropping to the server's user so that files the
 * command creates stay readable by the server), runs a function, and closes the store.
 */
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { statSync } from 'node:fs';
import { isRoot, dropPrivileges } from '../lib/privileges.js';
import type { Store } from '../store/types.js';
import { createOutput, type Output } from './output.js';
import { resolveConfigPath } from './config-path.js';
import type { CliRuntime } from './runtime.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
}

export interface CliContext {
  runtime: CliRuntime;
  globals(): GlobalOptions;
  output(): Output;
  loadConfig(): Promise<Config>;
  withStore<T>(fn: (store: Store, config: Config) => Promise<T>): Promise<T>;
}

export function createContext(program: Command, runtime: CliRuntime): CliContext {
  const ctx: CliContext = {
    runtime,
    globals: () => program.opts<GlobalOptions>(),
    output: () => createOutput(Boolean(ctx.globals().json)),
    loadConfig: () => loadConfig(resolveConfigPath(ctx.globals().config).path),
    async withStore(fn) {
      const config = await ctx.loadConfig();
      // As root, act as the owner of the data directory (the server's user once it has started), so that
      // files this command creates (SQLite's -wal/-shm, bodies) stay usable by the server.
      if (isRoot()) {
        const owner = (() => {
          try {
            return statSync(config.server.data_dir);
          } catch {
            return null;
          }
        })();
        if (owner && owner.uid !== 0) dropPrivileges({ name: `uid ${owner.uid}`, uid: owner.uid, gid: owner.gid });
      }
      const store = await runtime.openStore(config);
      try {
        return await fn(store, config);
      } finally {
        await store.close();
      }
    },
  };
  return ctx;
}
