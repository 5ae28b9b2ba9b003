#!/usr/bin/env node
// Makes `npm start` and `npm test` self-sufficient on a fresh clone: installs node modules when they are
// missing or older than the lockfile, builds dist/ when it is older than src/, and for `test` makes sure the
// Debian packages the tests drive are present (installing them as root, naming them otherwise).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.argv[2] ?? 'build';

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`pochta: '${cmd} ${args.join(' ')}' failed (exit ${r.status ?? r.signal}); fix the error above and run again.`);
    process.exit(1);
  }
}

const marker = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(join(root, 'package-lock.json')).mtimeMs) {
  console.error('pochta: installing node modules (npm ci; better-sqlite3 builds from source, about a minute)...');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

// The test packages first: the native addon below needs gcc and libcrypt-dev, which the test-deps script installs.
if (mode === 'test') {
  try {
    execFileSync('bash', [join(root, 'scripts', 'install-test-deps.sh')], { stdio: 'inherit' });
  } catch {
    process.exit(1);
  }
}

const distMain = join(root, 'dist', 'main.js');
if (!existsSync(distMain) || statSync(distMain).mtimeMs < newestMtime(join(root, 'src'))) {
  console.error('pochta: building dist/ ...');
  run('npx', ['tsc', '-p', 'tsconfig.json']);
}

// yescrypt ($y$, Debian's default for system passwords) is verified by a small addon over libxcrypt. Without
// it pochta runs, and only $y$ logins of system users fail (logged); the tests need it.
const addon = join(root, 'build', 'xcrypt.node');
const addonSource = join(root, 'src', 'directory', 'native', 'xcrypt.c');
if (!existsSync(addon) || statSync(addon).mtimeMs < statSync(addonSource).mtimeMs) {
  const r = spawnSync('sh', [join(root, 'src', 'directory', 'native', 'build-xcrypt.sh')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    const msg = 'pochta: could not build build/xcrypt.node (needs gcc and libcrypt-dev): yescrypt ($y$) system passwords will not verify';
    if (mode === 'test') {
      console.error(`${msg}; install gcc and libcrypt-dev (scripts/install-test-deps.sh does as root)`);
      process.exit(1);
    }
    console.error(msg);
  }
}
