/**
 * The layers of ../shared/design/ARCHITECTURE.md as rules (`npm run lint`): dependencies point down only.
 *
 *   cli/  app/                     (composition: may import anything)
 *   api/  iovox/  contacts/  email/  tools/
 *   voice/   sms/                  (features; voice never imports sms: a script's SendSms goes through a port)
 *   webhooks/
 *   store/                          (implements the features' ports; imports their types only)
 *   config/  shared/  types/
 */
const FEATURES = '^src/(sms|voice|webhooks|api|iovox|contacts|email|tools)/';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'no import cycles, type-only ones included', from: {}, to: { circular: true } },
    {
      name: 'shared-imports-nothing-of-ours',
      severity: 'error',
      comment: 'src/shared/ is the bottom: it imports only itself and src/types/',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/(shared|types)/' },
    },
    {
      name: 'store-imports-no-feature',
      severity: 'error',
      comment: 'src/store/ implements the ports the features define; it may name their types, never run their code',
      from: { path: '^src/store/' },
      to: { path: FEATURES, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'voice-never-imports-sms',
      severity: 'error',
      comment: "a call script's SendSms goes through the ScriptSms port the daemon fills in",
      from: { path: '^src/voice/' },
      to: { path: '^src/sms/' },
    },
    {
      name: 'features-never-import-the-api',
      severity: 'error',
      comment: 'HTTP dialects sit on top of the features; nothing below them imports src/api/',
      from: { path: '^src/(shared|config|store|webhooks|sms|voice|email|contacts)/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'webhooks-below-the-features',
      severity: 'error',
      comment: 'the callback outbox serves sms/ and voice/; it imports neither',
      from: { path: '^src/webhooks/' },
      to: { path: '^src/(sms|voice|iovox|api)/' },
    },
    {
      name: 'nothing-imports-the-composition-root',
      severity: 'error',
      comment: 'src/cli/ and src/app/ wire things together; nothing imports them back',
      from: { path: '^src/', pathNot: '^src/(cli|app)/' },
      to: { path: '^src/(cli|app)/' },
    },
    {
      name: 'no-orphans',
      severity: 'warn',
      comment: 'a module nothing imports is dead code (entry points aside)',
      from: { orphan: true, pathNot: ['\\.d\\.ts$', '^src/cli/main\\.ts$', '^src/sms/connectors/modem/.*worker', 'worker\\.ts$'] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
