/**
 * The pure IMAP protocol layer in one import: framer, parser, AST types, sequence sets, SEARCH AST,
 * encoder, ENVELOPE/BODYSTRUCTURE, mailbox names, LIST patterns, dates. No I/O anywhere below.
 */

export * from './errors.js';
export * from './framer.js';
export * from './tokenizer.js';
export * from './command-types.js';
export * from './parse-command.js';
export * from './parse-fetch.js';
export * from './sequence-set.js';
export * from './search-ast.js';
export * from './encode.js';
export * from './body-structure.js';
export * from './mutf7.js';
export * from './mailbox-name.js';
export * from './list-pattern.js';
export * from './dates.js';
