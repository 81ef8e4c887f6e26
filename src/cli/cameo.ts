/**
 * `parley cameo [QUERY]`: CAMEO event codes by number (`0834`, or `08` for the codes under it)
 * or by words (`mediation`), with GDELT's description and the Goldstein weight a scenario's
 * `cameo:` field takes from the code. Exit 0 when something matched, 1 when nothing did.
 */
import { lookupCameo, type CameoEntry } from '../scenario/cameo.ts';
import { UsageError } from '../scenario/errors.ts';
import { safeJson, safeText } from '../scenario/safe-text.ts';

/** Queries longer than this are no code nor description. */
const MAX_QUERY = 200;

export function cameoCommand(words: readonly string[], flags: { json?: boolean }, out: NodeJS.WritableStream = process.stdout): void {
  const query = words.join(' ').trim();
  if (query.length > MAX_QUERY) throw new UsageError(`the query is ${query.length} characters long; at most ${MAX_QUERY}`, 'give a code (`0834`) or a few words (`mediation`)', 'cameo');
  const found = lookupCameo(query);
  if (flags.json) {
    out.write(safeJson(JSON.stringify({ format: 'parley-cameo', version: 1, query, codes: found }, null, 2)) + '\n');
  } else if (found.length === 0) {
    out.write(safeText(`no CAMEO code matches \`${query}\`\n`));
  } else {
    out.write(safeText(formatCameo(found)));
  }
  if (found.length === 0) {
    process.stderr.write(/^\d+$/.test(query) ? 'CAMEO codes are 2 to 4 digits (`parley cameo 08` lists the codes under 08)\n' : 'try fewer or other words, or a code\n');
    process.exitCode = 1;
  }
}

/** One line per code: the code, its Goldstein weight, its description; root codes are flushed left, the ones under them indented. */
export function formatCameo(entries: readonly CameoEntry[]): string {
  const lines = entries.map((e) => {
    const weight = e.goldstein === null ? '' : `${e.goldstein > 0 ? '+' : e.goldstein < 0 ? '−' : ' '}${Math.abs(e.goldstein).toFixed(1)}`;
    const indent = e.code.length <= 2 ? '' : '  '.repeat(e.code.length - 2);
    return `${e.code.padEnd(5)} ${weight.padStart(5)}  ${indent}${e.description}`;
  });
  return `code  Goldstein  description\n${lines.join('\n')}\n`;
}
