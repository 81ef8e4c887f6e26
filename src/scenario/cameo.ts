/**
 * The CAMEO tables shipped in `data/`: `cameo-goldstein.tsv` (GDELT's `CAMEO.goldsteinscale.txt`,
 * code → Goldstein weight) and `cameo-eventcodes.tsv` (GDELT's `CAMEO.eventcodes.txt`, code →
 * description). See data/README.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../paths.ts';

let table: ReadonlyMap<string, number> | undefined;
let descriptions: ReadonlyMap<string, string> | undefined;

/** Rows `code<TAB>value` after the header line, for codes made of digits. */
function tsvRows(text: string): [string, string][] {
  const rows: [string, string][] = [];
  for (const line of text.split(/\r?\n/).slice(1)) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const code = line.slice(0, tab);
    if (/^\d+$/.test(code)) rows.push([code, line.slice(tab + 1).trim()]);
  }
  return rows;
}

export function parseGoldsteinTable(text: string): Map<string, number> {
  return new Map(tsvRows(text).map(([code, weight]) => [code, Number(weight)]));
}

/** CAMEO code → Goldstein weight (−10 … +10). */
export function goldsteinTable(): ReadonlyMap<string, number> {
  table ??= parseGoldsteinTable(readFileSync(join(dataDir(), 'cameo-goldstein.tsv'), 'utf8'));
  return table;
}

/**
 * CAMEO code → its description, GDELT's wording (`057` → `Sign formal agreement`). The one-digit
 * codes `1`–`4` are GDELT's quad classes (verbal cooperation … material conflict).
 */
export function cameoDescriptions(): ReadonlyMap<string, string> {
  descriptions ??= new Map(tsvRows(readFileSync(join(dataDir(), 'cameo-eventcodes.tsv'), 'utf8')));
  return descriptions;
}

/** `057 (Sign formal agreement)`: the code with its description, for a person to read (the code alone if it has none). */
export function describeCameo(code: string): string {
  const text = cameoDescriptions().get(code);
  return text === undefined ? code : `${code} (${text})`;
}

/** One row of a lookup: the code, its description and its Goldstein weight (null for the quad classes). */
export interface CameoEntry {
  readonly code: string;
  readonly description: string;
  readonly goldstein: number | null;
}

/**
 * Codes that match `query`: a number matches a code and the codes under it (`05` → `05`, `050`,
 * `051` …, `0834` → `0834`; `834`, its leading zero lost, as `0834`); words match descriptions that contain every one of them, in any
 * case. No query lists every code. In code order.
 */
export function lookupCameo(query: string): CameoEntry[] {
  const weights = goldsteinTable();
  const q = query.trim();
  const all = [...cameoDescriptions()].map(([code, description]) => ({ code, description, goldstein: weights.get(code) ?? null }));
  if (q === '') return all;
  if (/^\d+$/.test(q)) {
    const under = (prefix: string) => all.filter((e) => e.code.startsWith(prefix));
    // `834` is `0834` with its leading zero lost (as YAML loses it from an unquoted code).
    const found = under(q);
    return found.length > 0 || q.length >= 4 ? found : under(`0${q}`);
  }
  const words = q.toLowerCase().split(/\s+/);
  return all.filter((e) => words.every((w) => e.description.toLowerCase().includes(w)));
}
