/**
 * Turns a failed bind into a one-line UserError that names the address, the port and the fix in pochta.toml
 * (the admin's most common first-start problems: another MTA on port 25, no privilege for ports below 1024, an
 * address the machine does not have). Pure.
 */
import { UserError } from '../lib/errors.js';

export interface BindTarget {
  /** IP address, or 'unix:/path'. */
  address: string;
  port: number;
  /** The listener's key in pochta.toml, e.g. 'listeners[0]'. */
  configKey: string;
}

export function bindError(e: unknown, target: BindTarget): UserError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? 'error';
  const { address, port, configKey } = target;
  const toml = 'in pochta.toml';
  if (address.startsWith('unix:')) {
    const path = address.slice('unix:'.length);
    switch (code) {
      case 'EADDRINUSE':
        return new UserError(`unix socket ${path} is in use by another program: stop it or change ${configKey}.address ${toml}`, { cause: e });
      case 'EACCES':
      case 'EPERM':
        return new UserError(`cannot create unix socket ${path}: permission denied: give pochta's user write access to its directory or change ${configKey}.address ${toml}`, { cause: e });
      case 'ENOENT':
        return new UserError(`cannot create unix socket ${path}: its directory does not exist: create it or change ${configKey}.address ${toml}`, { cause: e });
      default:
        return new UserError(`cannot listen on unix socket ${path} (${code}): change ${configKey}.address ${toml}`, { cause: e });
    }
  }
  switch (code) {
    case 'EADDRINUSE':
      return new UserError(`port ${port} on ${address} is in use by another program: stop it or change ${configKey}.port ${toml}`, { cause: e });
    case 'EACCES':
    case 'EPERM':
      if (port < 1024) {
        return new UserError(
          `port ${port} on ${address} needs privileges: ports below 1024 need root or CAP_NET_BIND_SERVICE (setcap cap_net_bind_service=+ep on the node binary), or change ${configKey}.port ${toml}`,
          { cause: e },
        );
      }
      return new UserError(`permission denied listening on port ${port} on ${address}: check the firewall/SELinux policy or change ${configKey}.port ${toml}`, { cause: e });
    case 'EADDRNOTAVAIL':
      return new UserError(`address ${address} (port ${port}) is not an address of this machine: use one of its addresses or 0.0.0.0, or change ${configKey}.address ${toml}`, { cause: e });
    case 'EAFNOSUPPORT':
      return new UserError(`IPv6 is not available on this machine (port ${port} on ${address}): use 0.0.0.0 or change ${configKey}.address ${toml}`, { cause: e });
    default:
      return new UserError(`cannot listen on port ${port} on ${address} (${code}): change ${configKey} ${toml}`, { cause: e });
  }
}
