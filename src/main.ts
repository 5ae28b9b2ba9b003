#!/usr/bin/env node
/**
 * Composition root (DESIGN.md): the only src file that imports concrete adapters. It decides which store
 * implementation backs a config and hands the CLI the factories it needs.
 */
import { join } from 'node:path';
import { runCli } from './cli/program.js';
import { bindServices } from './cli/services.js';
import type { CliRuntime } from './cli/runtime.js';
import { openSqliteStore } from './store/sqlite/sqlite-store.js';

const runtime: CliRuntime = {
  openStore: (config) => openSqliteStore({ dir: config.server.data_dir, blobDir: join(config.server.data_dir, 'blobs') }),
  bindServices,
};

await runCli(process.argv, runtime);
