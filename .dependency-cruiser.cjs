// The import rules of ../shared/DESIGN.md ("Which may import which"), checked in `npm test`.
// Layers bottom to top; a module may import its own layer or lower ones, never a higher one.
const layers = [
  ['^src/lib/'],
  ['^src/mail/', '^src/dns/', '^src/config/', '^src/net/'],
  ['^src/store/'],
  ['^src/directory/', '^src/antispam/'],
  ['^src/pipeline/'],
  ['^src/queue/'],
  ['^src/protocols/'],
  ['^src/admin/', '^src/cli/'],
  ['^src/main\\.ts$'],
];
const layerRules = layers.slice(0, -1).map((from, i) => ({
  name: `layer-${from.join('|').replace(/[\^\\$]/g, '')}`,
  comment: 'A lower layer imports a higher one (see DESIGN.md: bottom to top, never upward).',
  severity: 'error',
  from: { path: from },
  to: { path: layers.slice(i + 1).flat() },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles are not allowed.',
      from: { path: '^src/' },
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'concrete-adapters-only-in-main',
      comment: 'Only main.ts (and test helpers) import a concrete store adapter; everything else uses the store/ interfaces.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/main\\.ts$', '^src/store/(sqlite|fsblob|postgres)/'] },
      to: { path: '^src/store/(sqlite|fsblob|postgres)/' },
    },
    {
      name: 'proto-is-pure',
      comment: 'protocols/*/proto parses and encodes only: no sockets, no files, no store, no pipeline.',
      severity: 'error',
      from: { path: '^src/protocols/[^/]+/proto/' },
      to: { path: ['^(node:)?(net|tls|fs|fs/promises)$', '^src/store/', '^src/pipeline/', '^src/queue/'] },
    },
    {
      name: 'only-sqlite-adapter-imports-better-sqlite3',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/store/sqlite/' },
      to: { path: 'node_modules/better-sqlite3/' },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
    builtInModules: { add: [] },
  },
};
