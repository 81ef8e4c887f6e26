/** The CAMEO → Goldstein table shipped in `data/cameo-goldstein.tsv` (GDELT's `CAMEO.goldsteinscale.txt`). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../paths.ts';

let table: ReadonlyMap<string, number> | undefined;

export function parseGoldsteinTable(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split(/\r?\n/).slice(1)) {
    const [code, weight] = line.split('\t');
    if (code && weight !== undefined && /^\d+$/.test(code)) map.set(code, Number(weight));
  }
  return map;
}

/** CAMEO code → Goldstein weight (−10 … +10). */
export function goldsteinTable(): ReadonlyMap<string, number> {
  table ??= parseGoldsteinTable(readFileSync(join(dataDir(), 'cameo-goldstein.tsv'), 'utf8'));
  return table;
}
