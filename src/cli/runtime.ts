/**
 * What the CLI needs from the composition root (src/main.ts), injected so that cli/ never imports a concrete
 * adapter (DESIGN.md): how to open the store for a config, and how to start the network services.
 */
import type { Config } from '../config/index.js';
import type { Logger } from '../lib/logger.js';
import type { Store } from '../store/types.js';

export interface ListenerInfo {
  protocol: string;
  address: string;
  port: number;
  tls: string;
}

export interface Services {
  /** What is actually listening (after binding), for the start-up banner. */
  readonly listeners: ListenerInfo[];
  /** Protocols in the config that this build cannot serve yet. */
  readonly unavailable: string[];
  /** Starts serving clients with the store: called after privileges are dropped and the store is open. */
  start(store: Store): void;
  /** Applies a new config: TLS certificates, limits, policies. Listeners that changed are rebound. */
  reload(config: Config): Promise<void>;
  /** Stops accepting, lets in-flight transactions finish until the deadline, then closes everything. */
  close(deadline: Date): Promise<void>;
}

export interface CliRuntime {
  openStore(config: Config): Promise<Store>;
  /** Binds every listener of the config (as root: before dropping privileges); serves nothing until start(). */
  bindServices(config: Config, log: Logger): Promise<Services>;
}
