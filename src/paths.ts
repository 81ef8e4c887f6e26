/** Where Parley's own files (bundled scenarios, reference data) are, from source or from the build. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The package root: the nearest folder above this module whose package.json is Parley's. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'parley') return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the Parley package root');
    dir = parent;
  }
}

/** The bundled scenario that commands use when none is named. */
export const DEFAULT_SCENARIO = 'petro-trump';

export const scenariosDir = (): string => join(packageRoot(), 'scenarios');
export const dataDir = (): string => join(packageRoot(), 'data');
/** The build's parsed copies of the bundled scenario and exercise files (see `preparse` in scenario/parse.ts). */
export const parsedDir = (): string => join(packageRoot(), 'dist', 'parsed');
