/**
 * The layers of Parley's source, read top-down (issue 11): a module imports only from its own
 * folder and from the layers below it, and no imports go round in a circle. `npm test` checks
 * this (test/layers.test.ts); `npm run layers` prints the same report.
 *
 * Bottom to top:
 *
 *   base      src/paths.ts, src/version.ts  where the bundled files are; the version
 *   io        src/io/                       reading and writing files safely (bounded reads, fresh names, the lock)
 *   stats     src/stats/                    exact, mergeable statistics: pure math, no project imports
 *   scenario  src/scenario/                 the format: loading, expressions, validation, errors, safe text
 *   engine    src/engine/                   compile, kernel, executors, policies, branch codes
 *   analysis  src/analysis/                 runs from a state (the one primitive for many runs) and lint
 *   batch     src/batch/                    many runs: designs, lock step, workers, row files, summaries
 *   play      src/play/                     a play session: its tree, saves, file names, distributions
 *   report    src/report/                   text made from runs and sessions: transcripts, exports, debriefs, graphs
 *   api       src/index.ts                  the public API: anything in src/ but the commands
 *   ui        ui/                           the Ink terminal UI; only src/play, src/report and the API (types)
 *   cli       src/cli/                      the commands; `parley play` opens the UI through ui/main.tsx
 *
 * Play, batch and report sit in that order because play's distributions run batches and
 * report renders sessions (debriefs read saved ones). The UI sits below the commands because
 * `parley play` opens it; the UI never imports a command, it is handed callbacks.
 *
 * Exceptions are listed in EXCEPTIONS below, each with its reason; each one is a single
 * import direction, and everything else from the same modules is still checked.
 */

/** Bottom first. `path` is a regular expression on the path from the repository root. */
const LAYERS = [
  { name: 'base', path: '^src/(paths|version)\\.ts$' },
  { name: 'io', path: '^src/io/' },
  { name: 'stats', path: '^src/stats/' },
  { name: 'scenario', path: '^src/scenario/' },
  { name: 'engine', path: '^src/engine/' },
  { name: 'analysis', path: '^src/analysis/' },
  { name: 'batch', path: '^src/batch/' },
  { name: 'play', path: '^src/play/' },
  { name: 'report', path: '^src/report/' },
  { name: 'api', path: '^src/index\\.ts$' },
  { name: 'ui', path: '^ui/' },
  { name: 'cli', path: '^src/cli/' },
];

/** Imports allowed against the layer order, from modules of layer `layer`. */
const EXCEPTIONS = [
  {
    layer: 'io',
    from: '^src/io/',
    to: '^src/scenario/errors\\.ts$',
    comment:
      'io throws UsageError, which lives with the rest of the error vocabulary in src/scenario/errors.ts ' +
      '(it imports only src/scenario/safe-text.ts); goes when errors.ts and safe-text.ts move to the bottom layer',
  },
];

const above = (i) => LAYERS.slice(i + 1).map((l) => l.path);

const layerRules = LAYERS.flatMap((layer, i) => {
  if (i === LAYERS.length - 1) return [];
  const exceptions = EXCEPTIONS.filter((e) => e.layer === layer.name);
  return [
    {
      name: `layer-${layer.name}`,
      severity: 'error',
      comment: `${layer.name} imports only from the layers below it`,
      from: { path: layer.path, ...(exceptions.length ? { pathNot: exceptions.map((e) => e.from) } : {}) },
      to: { path: above(i) },
    },
    ...exceptions.map((e) => ({
      name: `layer-${layer.name}-except`,
      severity: 'error',
      comment: `${layer.name} imports only from the layers below it; allowed: ${e.to} (${e.comment})`,
      from: { path: e.from },
      to: { path: above(i), pathNot: e.to },
    })),
  ];
});

for (const e of EXCEPTIONS) if (!LAYERS.some((l) => l.name === e.layer)) throw new Error(`no layer ${e.layer}`);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'no import circles in src/ and ui/',
      from: { path: '^(src|ui)/' },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'stats-pure',
      severity: 'error',
      comment: 'src/stats is pure math: it imports nothing of the project',
      from: { path: '^src/stats/' },
      to: { path: '^(src|ui)/', pathNot: '^src/stats/' },
    },
    {
      name: 'ui-through-play',
      severity: 'error',
      comment: 'ui/ reaches the library only through src/play, src/report and the public API (src/index.ts)',
      from: { path: '^ui/' },
      to: { path: '^src/', pathNot: ['^src/play/', '^src/report/', '^src/index\\.ts$'] },
    },
    {
      name: 'cli-opens-ui-by-main',
      severity: 'error',
      comment: 'the commands open the UI through ui/main.tsx only',
      from: { path: '^src/cli/' },
      to: { path: '^ui/', pathNot: '^ui/main\\.tsx$' },
    },
  ],
  options: {
    includeOnly: '^(src|ui)/',
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a layer's types are part of what it depends on.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
