/**
 * The submission service (RFC 6409 on 587 with STARTTLS, RFC 8314 implicit TLS on 465): the one SMTP server
 * builder with kind 'submission'. What the kind changes: AUTH PLAIN/LOGIN after TLS (auth.ts), every MAIL
 * needs AUTH (530 5.7.0, mail-from.ts), the sender and the From: header must be the user's own
 * (sender-check.ts, 553 5.7.1), missing Date/Message-ID are added (submission-headers.ts), the Received field
 * says ESMTPSA with the login (trace.ts), and the From: domain's DKIM keys sign the message (dkim-sign.ts).
 * Local recipients are delivered and remote ones queued by the pipeline, as for any SMTP message.
 */

import type { ProtocolFactory } from '../../service.js';
import { buildSmtpService } from './server.js';

export const createSubmissionService: ProtocolFactory = (listener, deps) => buildSmtpService(listener, deps, 'submission');
