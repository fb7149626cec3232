// The architecture, checked (issue 15): which part of tokend may import which. ARCHITECTURE.md is the
// map in words; this file is the same map as rules, run by `npm run lint` (`npm run lint:deps` alone).
// A path pattern here is a regular expression on the path from the repository root (a package resolves
// through the node_modules symlink, so package patterns match `node_modules/` anywhere in the path).

const TESTS = '(\\.test\\.tsx?$|^src/test-support/|^src/http/security/(fixtures|tcp-proxy)\\.ts$|^test/)';
const BENCH = '^bench/';
// Pure decisions and shared vocabulary: no I/O, no framework, a function of its arguments and `now`.
const CORE =
  '^src/(errors|events|clock|pagination|text-rules)\\.ts$|' +
  '^src/tokens/(lifecycle|verdict|token|expiry|list-query|network-rules)\\.ts$|' +
  '^src/permissions/rules\\.ts$|^src/leaks/scan\\.ts$|' +
  '^src/reminders/(schedule|templates|inactivity|inactivity-templates)\\.ts$|' +
  '^src/accounts/records\\.ts$';
// The only modules that hold SQL (STYLE.md), and the database driver wrapper under them.
const STORES = '^src/[^/]+/[a-z-]*store\\.ts$|^src/db/';
const DRIVERS = '(^|/)node_modules/(pg|pg-pool|pg-protocol|@electric-sql|ioredis|nodemailer)/';
const FRAMEWORKS =
  '(^|/)node_modules/(fastify|@fastify|commander|@commander-js|react|react-dom|@sinclair|pino)/';
const HTTP = '^src/http/';
const CLI = '^src/cli/|^src/cli\\.ts$';
// The composition roots wire every layer together, so they sit outside the layers.
const ROOTS = '^src/(main|cli)\\.ts$';
// Everything else in src/ outside the faces, the core and the stores (the rules subtract those).
const SERVICES = '^src/(?!http/|cli/|db/)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles: a cycle makes load order matter and the layers meaningless.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      comment:
        'The core imports no store, database driver or framework, types included (it owns its records).',
      severity: 'error',
      from: { path: CORE, pathNot: TESTS },
      to: { path: `${STORES}|${DRIVERS}|${FRAMEWORKS}|${HTTP}|${CLI}` },
    },
    {
      name: 'core-imports-core',
      comment: 'Inside src/, the core imports only the core.',
      severity: 'error',
      from: { path: CORE, pathNot: TESTS },
      to: { path: '^src/', pathNot: CORE },
    },
    {
      name: 'stores-below-services',
      comment:
        'A store imports no service, HTTP or CLI module: only other stores, the database and the core.',
      severity: 'error',
      from: { path: STORES, pathNot: TESTS },
      to: { path: '^src/', pathNot: `${STORES}|${CORE}` },
    },
    {
      name: 'services-no-http',
      comment: 'Services import no HTTP, CLI or web framework: the same service answers the API and the CLI.',
      severity: 'error',
      from: { path: SERVICES, pathNot: `${ROOTS}|${TESTS}|${CORE}|${STORES}` },
      to: { path: `${HTTP}|${CLI}|(^|/)node_modules/(fastify|@fastify|commander|@commander-js)/` },
    },
    {
      name: 'http-cli-through-services',
      comment:
        'HTTP and the CLI reach stores only through services. A record type is part of what a service ' +
        'answers, so type-only imports are allowed; calling a store (or the database) is not.',
      severity: 'error',
      from: { path: `${HTTP}|${CLI}`, pathNot: TESTS },
      to: { path: STORES, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'http-not-cli',
      comment: 'HTTP and the CLI are two faces of the same services: neither imports the other.',
      severity: 'error',
      from: { path: HTTP, pathNot: TESTS },
      to: { path: CLI },
    },
    {
      name: 'routes-independent',
      comment: 'A route module imports no other route module: what two share lives in http/ beside them.',
      severity: 'error',
      from: { path: '^src/http/routes/', pathNot: TESTS },
      to: { path: '^src/http/routes/' },
    },
    {
      name: 'mail-is-transport',
      comment: 'mail/ sends mail and knows no feature: the features import it, never the other way round.',
      severity: 'error',
      from: { path: '^src/mail/', pathNot: TESTS },
      to: { path: '^src/(tokens|accounts|files|reminders|http|cli)/' },
    },
    {
      name: 'web-only-api-types',
      comment: 'The page imports nothing from src/ but the generated API types (src/http/generated/).',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^(src|bench|test)/', pathNot: '^src/http/generated/' },
    },
    {
      name: 'production-no-test-code',
      comment: 'No production module imports test or bench code (it would ship in dist/ and run in tokend).',
      severity: 'error',
      from: { path: '^(src|web)/', pathNot: TESTS },
      to: { path: `${TESTS}|${BENCH}` },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves: a typo in a path is a finding here before it is a crash at start.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|web/dist)/' },
    // Type-only imports count: a cycle or a layer breach through a type is still one.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
