/**
 * The public API of config/: load and validate pochta.toml, the `Config` type, the defaults, the
 * commented example for `pochta init`, the Markdown reference and the reload diff.
 */
export { defaultConfig, loadConfig, parseConfig, resolvePaths, formatKeyPath, type DefaultConfigOptions } from './load.js';
export { renderExampleConfig, type ExampleConfigOptions } from './example.js';
export { renderConfigMarkdown } from './docs.js';
export { diffConfig } from './diff.js';
export {
  configSchema,
  defaultListeners,
  describeConfig,
  DEFAULT_LISTEN_ADDRESS,
  LOG_LEVELS,
  PROTOCOLS,
  TLS_MODES,
  type Config,
  type ConfigKeyDoc,
  type ConfigSectionDoc,
  type Listener,
  type ListenerProtocol,
  type LogLevel,
  type TlsMode,
} from './schema.js';
export { parseCidr, splitHostPort, type Cidr, type HostPort } from './validators.js';
