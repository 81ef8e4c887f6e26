/**
 * A report as one self-contained HTML file: every chart is an SVG drawn here by Vega (from the
 * figure's Vega-Lite specification), inline, with its data as a CSV download inside the file,
 * and a provenance table that says what was run and how to run it again. The file loads nothing
 * from anywhere: it opens from a mail attachment, on a projector with no network, in any browser.
 *
 * Vega and Vega-Lite are imported when a report is rendered, so no other command loads them.
 */
import type { Figure, Row } from './figures.ts';
import type { Provenance } from './study.ts';

export interface ReportPage {
  readonly title: string;
  /** A line under the title. */
  readonly subtitle: string;
  readonly sections: readonly { readonly heading: string; readonly intro?: string; readonly figures: readonly Figure[] }[];
  readonly provenance: readonly Provenance[];
  /** Notes shown under the provenance (for example what could not be drawn, and why). */
  readonly notes: readonly string[];
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** RFC 4180 CSV of the figure's rows. */
export function figureCsv(columns: readonly string[], rows: readonly Row[]): string {
  const field = (v: string | number | null | undefined): string => {
    if (v === null || v === undefined) return '';
    const s = typeof v === 'number' ? String(v) : v;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => field(r[c])).join(','))].join('\r\n') + '\r\n';
}

/** Renders a Vega-Lite specification to an SVG string, with no network and no canvas. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  // A loader that refuses every URL: a report's data are inline, and rendering must not reach out.
  const loader = vega.loader();
  loader.load = async (uri: string) => {
    throw new Error(`a report loads nothing, but a chart asked for ${uri}`);
  };
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const STYLE = `
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.subtitle { color: #555; margin: 0 0 18px; }
figure { background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; margin: 16px 0; padding: 14px 16px 10px; }
figure h3 { font-size: 15px; margin: 0 0 8px; }
figure .chart { overflow-x: auto; }
figure .chart svg { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 13.5px; margin-top: 6px; }
figcaption a { margin-left: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; background: #fff; }
th, td { text-align: left; vertical-align: top; border: 1px solid #e3e3e3; padding: 5px 7px; }
th { background: #f2f2f2; }
code { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.notes li { color: #555; }
@media print { body { background: #fff; } figure { break-inside: avoid; } }
`;

/** The page, with every chart rendered. */
export async function renderReport(page: ReportPage): Promise<string> {
  const parts: string[] = [];
  parts.push('<!doctype html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">');
  // No request leaves the page: inline styles and images only.
  parts.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  parts.push(`<title>${escapeHtml(page.title)}</title>`, `<style>${STYLE}</style>`, '</head>', '<body>', '<main>');
  parts.push(`<h1>${escapeHtml(page.title)}</h1>`, `<p class="subtitle">${escapeHtml(page.subtitle)}</p>`);
  for (const section of page.sections) {
    parts.push(`<section><h2>${escapeHtml(section.heading)}</h2>`);
    if (section.intro) parts.push(`<p>${escapeHtml(section.intro)}</p>`);
    for (const f of section.figures) {
      const svg = await renderSvg(f.spec);
      const csv = figureCsv(f.columns, f.rows);
      const href = `data:text/csv;charset=utf-8,${encodeURIComponent(csv)}`;
      parts.push(
        `<figure id="${escapeHtml(f.id)}" data-figure="${escapeHtml(f.id)}">`,
        `<h3>${escapeHtml(f.title)}</h3>`,
        `<div class="chart" role="img" aria-label="${escapeHtml(f.title)}">${svg}</div>`,
        `<figcaption>${escapeHtml(f.caption)} <a download="${escapeHtml(f.id)}.csv" href="${href}">Data (CSV, ${f.rows.length} rows)</a></figcaption>`,
        '</figure>',
      );
    }
    parts.push('</section>');
  }
  parts.push('<section><h2>What was run</h2>');
  parts.push('<table><thead><tr><th>file</th><th>kind</th><th>scenario</th><th>engine</th><th>design</th><th>runs</th><th>command (run it again to reproduce)</th></tr></thead><tbody>');
  for (const p of page.provenance) {
    parts.push(
      `<tr><td><code>${escapeHtml(p.file)}</code></td><td>${escapeHtml(p.kind)}</td><td>${escapeHtml(p.scenario)}<br><code title="SHA-256 of the scenario file">${escapeHtml(p.hash.slice(0, 16))}…</code></td>` +
        `<td>${escapeHtml(p.engine)}</td><td>${escapeHtml(p.design)}</td><td>${p.runs.toLocaleString('en-US')}</td><td><code>${escapeHtml(p.command)}</code></td></tr>`,
    );
  }
  parts.push('</tbody></table>');
  if (page.notes.length) parts.push(`<ul class="notes">${page.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  parts.push('</section>', '</main>', '</body>', '</html>', '');
  return parts.join('\n');
}
