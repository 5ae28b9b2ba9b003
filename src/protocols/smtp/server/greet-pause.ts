/**
 * The pause before the SMTP greeting. smtp-server 3.21 waits a fixed 100 ms before every 220 (to catch
 * clients that talk before the greeting), which caps a connection-per-message client such as Postfix's
 * smtp-source at ~9 messages/s per session. Postfix's smtpd greets at once and leaves the pause to postscreen
 * (`postscreen_greet_wait`). Here the pause is `smtp.greet_pause_ms` (default 0); a client that talks during
 * it still gets smtp-server's "talk too soon" refusal.
 *
 * Side effect: `installGreetPause()` replaces `SMTPConnection.prototype.init` of smtp-server once per process
 * (the package is pinned to 3.21.x because of this). The pause is read per server from `greetPauseMs`.
 */
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

interface ConnectionInternals {
  _server: { options: { maxClients?: number }; connections: Set<unknown>; greetPauseMs?: number };
  name: string;
  _setListeners(callback: () => void): void;
  connectionReady(): void;
  send(code: number, text: string, context?: false): void;
}

let installed = false;

export function installGreetPause(): void {
  if (installed) return;
  installed = true;
  const proto = SMTPConnection.prototype as unknown as ConnectionInternals & { init(): void };
  proto.init = function init(this: ConnectionInternals): void {
    this._setListeners(() => {
      const server = this._server;
      if (server.options.maxClients && server.connections.size > server.options.maxClients) {
        this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
        return;
      }
      const pause = server.greetPauseMs ?? 0;
      if (pause <= 0) {
        this.connectionReady();
        return;
      }
      setTimeout(() => this.connectionReady(), pause).unref();
    });
  };
}

/** Sets the pause for connections of one smtp-server instance. */
export function setGreetPause(server: object, ms: number): void {
  (server as { greetPauseMs?: number }).greetPauseMs = ms;
}
