/**
 * Puts test messages into a mailbox the way mail really arrives: over SMTP to the test server's smtp listener
 * (nodemailer's SMTP client; loopback is a trusted network), so POP3/IMAP tests read what SMTP stored.
 */
import nodemailer from 'nodemailer';
import type { TestServer } from './start-server.js';

export async function deliverBySmtp(srv: TestServer, to: string, messages: Array<string | Buffer>, from = 'alice@example.net'): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: srv.port('smtp'), secure: false, ignoreTLS: true });
  try {
    for (const raw of messages) {
      const info = await transport.sendMail({ envelope: { from, to: [to] }, raw });
      if (info.accepted.length !== 1) throw new Error(`SMTP did not accept the message for ${to}: ${info.response}`);
    }
  } finally {
    transport.close();
  }
}
