/**
 * Writes docs/configuration.md from the config schema (`npm run docs:config`).
 * test/unit/config/docs.test.ts fails when the committed file differs from what this would write.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigMarkdown } from '../src/config/docs.js';

const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
writeFileSync(target, renderConfigMarkdown());
console.log(`wrote ${target}`);
