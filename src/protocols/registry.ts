/**
 * Which protocol service serves each listener protocol. A protocol missing here is reported as "not served by
 * this build yet" at start-up and its listeners are not bound.
 */
import type { ListenerProtocol } from '../config/index.js';
import type { ProtocolFactory } from './service.js';
import { createImapService } from './imap/server/imap-service.js';
import { pop3Factory } from './pop3/pop3-service.js';
import { createLmtpService, createSmtpService } from './smtp/server/server.js';
import { createSubmissionService } from './smtp/server/submission.js';

export const protocolFactories: Partial<Record<ListenerProtocol, ProtocolFactory>> = {
  imap: createImapService,
  pop3: pop3Factory,
  smtp: createSmtpService,
  lmtp: createLmtpService,
  submission: createSubmissionService,
};
