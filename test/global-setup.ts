import { execFileSync } from 'node:child_process';

/** Tests of the command line run the real `bin/parley.js`, so dist/ must match the sources. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { stdio: 'inherit' });
}
