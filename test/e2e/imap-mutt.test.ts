// End-to-end: mutt run inside a detached tmux session opens INBOX over IMAPS (implicit TLS, the test
// certificate trusted through certificate_file, host name checked against its 127.0.0.1 SAN) and shows a
// threaded index (sort=threads, ascii tree characters); then it opens a message (the body is shown and \Seen
// reaches the store), flags one and deletes one, and `$` syncs: the store shows \Flagged and the expunge.
// Skips when mutt or tmux is not installed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { TestServer } from '../helpers/start-server.js';
import { deliver, PASS, rawMessage, startImapServer, USER } from '../protocol/imap/fixtures.js';
import { available, tempDir, type TempDir } from '../protocol/pop3/real-clients.js';

// scripts/install-test-deps.sh installs every client: a missing one is a failure, never a skip.
assert.ok(available('mutt') && available('tmux'), 'mutt or tmux is not installed: run scripts/install-test-deps.sh');

let srv: TestServer;
let tmp: TempDir;
let inboxId: number;

/** Runs tmux on this test's own socket; stdin is closed (tmux exits before reading it: no EPIPE). */
function tmux(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('tmux', ['-S', tmp.path('tmux.sock'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: tmp.dir, TERM: 'xterm' },
      timeout: 5_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Polls the pane until `pattern` shows (or 10 s pass) and returns the last capture. */
async function screenWith(pattern: RegExp): Promise<string> {
  let screen = '';
  for (let i = 0; i < 50; i++) {
    screen = (await tmux('capture-pane', '-p')).stdout;
    if (pattern.test(screen)) return screen;
    await sleep(200);
  }
  assert.fail(`timed out waiting for ${pattern}; screen:\n${screen}`);
}

const refs = (...ids: string[]): string => `In-Reply-To: <${ids.at(-1)}@example.org>\r\nReferences: ${ids.map((id) => `<${id}@example.org>`).join(' ')}\r\n`;

before(async () => {

  srv = await startImapServer();
  tmp = await tempDir('pochta-mutt-e2e-');
  await tmp.write('ca.pem', srv.ca);
  const account = (await srv.store.getAccount(USER))!;
  inboxId = (await srv.store.getMailbox(account.id, 'INBOX'))!.id;
  // rawMessage's Message-ID is the subject without non-word characters.
  await deliver(srv.store, USER, rawMessage('Lunch plans', 'Shall we have lunch?'));
  await deliver(srv.store, USER, rawMessage('Quarterly report', 'Numbers attached.'));
  await deliver(srv.store, USER, rawMessage('Re Lunch plans', 'Yes, noon.', refs('Lunchplans')));
  await deliver(srv.store, USER, rawMessage('Re Re Lunch plans', 'Noon it is.', refs('Lunchplans', 'ReLunchplans')));
  await deliver(srv.store, USER, rawMessage('Re Lunch plans too', 'Count me in.', refs('Lunchplans')));
  await tmp.write(
    'muttrc',
    [
      `set folder="imaps://${encodeURIComponent(USER)}@127.0.0.1:${srv.port('imap', 1)}/"`,
      'set spoolfile=+INBOX',
      `set imap_pass="${PASS}"`,
      `set certificate_file="${tmp.path('ca.pem')}"`,
      'set ssl_verify_host=yes',
      'set sort=threads',
      'set ascii_chars=yes',
      'unset hide_thread_subject',
      'set imap_check_subscribed=no',
      'set delete=yes',
      'set mark_old=no',
      'set header_cache=""',
      'set message_cachedir=""',
      'set timeout=600',
      'set mail_check=600',
      'set index_format="%4C %Z %-20.20F %s"',
      '',
    ].join('\n'),
  );
});

after(async () => {

  await tmux('kill-server');
  await srv.close();
  await tmp.cleanup();
});

test('mutt opens INBOX over IMAPS with a threaded index, reads, flags and deletes', { timeout: 40_000 }, async () => {
  const started = await tmux('new-session', '-d', '-x', '200', '-y', '50', `mutt -n -F ${tmp.path('muttrc')}`);
  assert.equal(started.code, 0, started.stderr);

  const index = await screenWith(/Quarterly report/);
  const rows = index.split('\n').filter((l) => /^\s+\d+ /.test(l));
  assert.equal(rows.length, 5, index);
  // Threads: the Lunch thread (root, its two replies, the reply to the first reply), then the report.
  assert.match(rows[0]!, /^\s+1 .*Lunch plans$/);
  assert.match(rows[1]!, /^\s+2 .*[|+]->Re Lunch plans$/);
  assert.match(rows[2]!, /^\s+3 .*\| `->Re Re Lunch plans$/);
  assert.match(rows[3]!, /^\s+4 .*`->Re Lunch plans too$/);
  assert.match(rows[4]!, /^\s+5 .* Quarterly report$/);
  assert.doesNotMatch(rows[4]!, /->/);

  // Open the first message: its body shows, and fetching it sets \Seen.
  await tmux('send-keys', 'Enter');
  await screenWith(/Shall we have lunch\?/);
  await tmux('send-keys', 'i');
  await screenWith(/Quarterly report/);
  // Flag the thread root, delete the report, sync.
  await tmux('send-keys', 'F');
  await tmux('send-keys', '5', 'Enter');
  await tmux('send-keys', 'd');
  await tmux('send-keys', '$');
  await screenWith(/Msgs:4/);

  const left = await srv.store.listMessages(inboxId);
  assert.deepEqual(
    left.map((m) => m.uid),
    [1, 3, 4, 5],
  );
  const root = left.find((m) => m.uid === 1)!;
  assert.ok(root.flags.includes('\\Seen') && root.flags.includes('\\Flagged'), root.flags.join(' '));
  await tmux('send-keys', 'q');
});
