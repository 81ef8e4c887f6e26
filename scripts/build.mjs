// Builds dist/ with esbuild (a fraction of a second) and writes the JSON Schema to schema/.
// `--if-stale` skips the build when dist/ is newer than every source file.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entries = { cli: 'src/cli/main.ts', index: 'src/index.ts', 'batch-worker': 'src/batch/worker.ts', 'advice-worker': 'src/play/advice-worker.ts' };
const outputs = Object.keys(entries).map((name) => join(root, 'dist', `${name}.js`));

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

if (process.argv.includes('--if-stale') && outputs.every(existsSync)) {
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  const sources = Math.max(newest(join(root, 'src')), newest(join(root, 'ui')), newest(join(root, 'scenarios')), statSync(join(root, 'package.json')).mtimeMs);
  if (built > sources) process.exit(0);
}

// Start from an empty dist/: chunk names change with their content, and stale chunks pile up.
rmSync(join(root, 'dist'), { recursive: true, force: true });

const common = {
  outdir: join(root, 'dist'),
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  jsx: 'automatic',
  logLevel: 'warning',
};

// The library (`import … from 'parley'`) imports its dependencies as packages, so that they are
// the ones an application installs next to it.
await build({ ...common, entryPoints: { index: join(root, entries.index) }, packages: 'external' });

// The command and its worker threads carry their dependencies bundled in: Node resolves and
// reads one file where it would resolve and read hundreds (zod, yaml, xstate, commander …),
// which is most of a command's start-up. Kept as packages: piscina (it starts its own worker
// file from its folder), and Vega and Vega-Lite (only `parley report` loads them, lazily).
// Ink turns every line of a frame into styled characters (an ANSI tokenizer, an object a
// character) and measures its width, with caches that live for one frame only; at 80×24 that
// was about half of each key press's frame. The lines of a play screen hardly change from one
// frame to the next, so the bundled Ink keeps those caches from frame to frame (emptied past
// 5,000 lines). What is cached is never changed by Ink (a frame copies the characters into its
// own rows). The build fails if Ink's output module no longer has the line it replaces.
const inkFrameCaches = {
  name: 'ink-frame-caches',
  setup(b) {
    b.onLoad({ filter: /[\\/]ink[\\/]build[\\/]output\.js$/ }, async ({ path }) => {
      const source = readFileSync(path, 'utf8');
      const line = '    caches = new OutputCaches();';
      if (!source.includes(line)) throw new Error(`ink-frame-caches: ${path} has changed; look again at what this plugin does`);
      const shared = 'let sharedCaches = new OutputCaches();\nfunction frameCaches() {\n    if (sharedCaches.styledChars.size + sharedCaches.widths.size > 5000) sharedCaches = new OutputCaches();\n    return sharedCaches;\n}\n';
      return { contents: source.replace(line, '    caches = frameCaches();').replace('export default class Output', `${shared}export default class Output`), loader: 'js' };
    });
  },
};

// Bundled CommonJS modules (yaml, seedrandom, commander) call `require` for Node's built-ins.
// Ink and React are bundled too, into the chunks only `parley play` imports: as packages they
// were about 600 ms of module loading before the first frame (Node resolved and read some 200
// files). React's production build is chosen at build time (its `index.js` picks by NODE_ENV,
// and the development build renders the play screen several times slower); nothing else in the
// command reads NODE_ENV. Ink's development hook (react-devtools-core, with DEV=true) stays out.
await build({
  ...common,
  entryPoints: { cli: join(root, entries.cli), 'batch-worker': join(root, entries['batch-worker']), 'advice-worker': join(root, entries['advice-worker']) },
  external: ['piscina', 'vega', 'vega-lite', 'react-devtools-core'],
  define: { 'process.env.NODE_ENV': '"production"' },
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [inkFrameCaches],
  banner: { js: "import { createRequire as __parleyRequire } from 'node:module';\nconst require = __parleyRequire(import.meta.url);" },
});

const { scenarioJsonSchema, exerciseJsonSchema, preparse } = await import(join(root, 'dist', 'index.js'));
mkdirSync(join(root, 'schema'), { recursive: true });
writeFileSync(join(root, 'schema', 'scenario.schema.json'), JSON.stringify(scenarioJsonSchema(), null, 2) + '\n');
writeFileSync(join(root, 'schema', 'exercise.schema.json'), JSON.stringify(exerciseJsonSchema(), null, 2) + '\n');

// Parsed copies of the bundled scenarios and exercises, named by the SHA-256 of their text: the
// loader reads one instead of parsing the YAML when a file's bytes match (a command on the
// default scenario starts about 200 ms sooner). An edited file no longer matches and is parsed.
mkdirSync(join(root, 'dist', 'parsed'), { recursive: true });
for (const dir of ['scenarios', join('scenarios', 'exercises')]) {
  if (!existsSync(join(root, dir))) continue;
  for (const name of readdirSync(join(root, dir))) {
    if (!/\.(ya?ml|json)$/.test(name)) continue;
    const file = join(root, dir, name);
    const copy = preparse(file, readFileSync(file, 'utf8'));
    if (copy) writeFileSync(join(root, 'dist', 'parsed', copy.name), copy.json);
  }
}
