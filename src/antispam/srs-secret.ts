/**
 * The SRS secret file (postsrsd's format): one secret per line, the first signs new addresses, every line
 * still verifies (rotate by adding a new first line and keeping the old one for `max_age` days). Blank lines
 * and lines starting with '#' are ignored.
 *
 * `loadOrCreateSrsSecrets` creates the file with one random secret (24 bytes, base64), mode 0600 and
 * O_EXCL, when it does not exist. The secrets are never logged: errors name the path only.
 *
 * Side effects: reads (and maybe creates) one file; synchronous, meant for startup and SIGHUP.
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function parseSrsSecrets(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The secrets of `path`, generating the file first when it is missing. Throws when it holds none. */
export function loadOrCreateSrsSecrets(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the SRS secret file ${path}: ${(e as Error).message}`);
    mkdirSync(dirname(path), { recursive: true });
    const secret = randomBytes(24).toString('base64');
    try {
      writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
      text = `${secret}\n`;
    } catch (w) {
      // Another process made it first: use theirs.
      if ((w as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the SRS secret file ${path}: ${(w as Error).message}`);
      text = readFileSync(path, 'utf8');
    }
  }
  const secrets = parseSrsSecrets(text);
  if (secrets.length === 0) throw new Error(`the SRS secret file ${path} holds no secret`);
  return secrets;
}
