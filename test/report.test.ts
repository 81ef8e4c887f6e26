// `parley report`: the figures as data, the HTML file, and the page as a real browser draws it
// (Debian's Chromium, driven by playwright-core; `.ci/run` installs it where it can).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { figureCsv } from '../src/report/html.ts';
import { outcomeShares } from '../src/report/figures.ts';

const BIN = resolve('bin/parley.js');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

function parley(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-report-'));
  const batch = parley(dir, 'batch', 'petro-trump', '--runs', '60', '--seed', '4', '--sweep', 'mediator_influence=0:0.2:3', '--sweep', 'strike_appetite=0:1:2', '--workers', '1', '--summary', 'sweep.json');
  expect(batch.code, batch.err).toBe(0);
  const plain = parley(dir, 'batch', 'river-dispute', '--runs', '50', '--seed', '2', '--workers', '1', '--summary', 'river.json', '--out', 'river.csv', '--record', 'rounds', '--rounds', 'river-rounds.jsonl');
  expect(plain.code, plain.err).toBe(0);
  const sens = parley(dir, 'sensitivity', 'test/fixtures/sensitivity/additive.yaml'.replace(/^/, `${process.cwd()}/`), '--measure', 'heads', '--method', 'morris', '--size', '10', '--runs', '50', '--seed', '1', '--result', 'morris.json', '--quiet');
  expect(sens.code, sens.err).toBe(0);
}, 120_000);

describe('report figures', () => {
  it('give each outcome its share and Wilson interval, and download as CSV', () => {
    const f = outcomeShares('x', 'X', ['a', 'b'], [{ when: 'final', runs: 10, counts: { a: 3, b: 7 } }]);
    expect(f.rows).toHaveLength(2);
    expect(f.rows[0]).toMatchObject({ outcome: 'a', count: 3, runs: 10, proportion: 0.3 });
    expect(Number(f.rows[0]!.ci_low)).toBeCloseTo(0.1078, 3);
    expect(Number(f.rows[0]!.ci_high)).toBeCloseTo(0.6032, 3);
    const csv = figureCsv(f.columns, f.rows);
    expect(csv.split('\r\n')[0]).toBe('when,outcome,count,runs,proportion,ci_low,ci_high');
    expect(csv.split('\r\n')[1]).toMatch(/^final,a,3,10,0\.3,0\.10/);
  });
});

describe('parley report', () => {
  it('writes one self-contained HTML file: inline SVG charts, their data, and how to run the batch again', () => {
    const r = parley(dir, 'report', 'sweep.json', 'river.json', '--out', 'report.html', '--group', 'settled=strategic_reset+conditional_truce');
    // The group names outcomes of petro-trump only: river-dispute's section refuses it.
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is not an outcome/);
    const ok = parley(dir, 'report', 'sweep.json', '--out', 'report.html', '--group', 'settled=strategic_reset+conditional_truce');
    expect(ok.code, ok.err).toBe(0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org|vega\.github\.io)/);
    expect(html.match(/<figure /g)).toHaveLength(3);
    expect(html.match(/<svg /g)!.length).toBeGreaterThanOrEqual(3);
    expect(html).toContain('download="sweep.csv"');
    expect(html).toContain('parley batch petro-trump --runs 60 --seed 4');
    // The figure's CSV, decoded from the page, holds the pooled cells.
    const href = /download="sweep.csv" href="data:text\/csv;charset=utf-8,([^"]+)"/.exec(html)![1]!;
    const csv = decodeURIComponent(href).trim().split('\r\n');
    expect(csv[0]).toBe('measure,mediator_influence,strike_appetite,count,runs,proportion,ci_low,ci_high');
    expect(csv).toHaveLength(1 + 6 * 3 * 2);
  });

  it('refuses bad input with exit 2 and a message, and never writes over an input', () => {
    writeFileSync(join(dir, 'not.json'), '{"format":"something-else"}');
    const a = parley(dir, 'report', 'not.json', '--out', 'x.html');
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/not\.json.*not a file report can read/);
    expect(a.err).not.toMatch(/\n\s+at /);
    const b = parley(dir, 'report', 'sweep.json', '--out', 'sweep.json');
    expect(b.code).toBe(2);
    expect(parley(dir, 'report', 'sweep.json').err).toMatch(/--out FILE is required/);
    expect(parley(dir, 'report', 'sweep.json', '--out', 'r.txt').err).toMatch(/must end in \.html/);
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  });
});

describe('parley debrief --html', () => {
  it('draws the class\'s paths, its outcomes against default play and the scores, with each session\'s command', () => {
    const sessions = ['ana', 'ben', 'cai'].map((n) => resolve(`test/fixtures/sessions/${n}.session.json`));
    const r = spawnSync(process.execPath, [BIN, 'debrief', ...sessions, '--html', '--out', join(dir, 'class.html'), '--runs', '500'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(join(dir, 'class.html'), 'utf8');
    expect(html.match(/<figure /g)).toHaveLength(3);
    const paths = decodeURIComponent(/download="paths.csv" href="data:text\/csv;charset=utf-8,([^"]+)"/.exec(html)![1]!).trim().split('\r\n');
    expect(paths[0]).toBe('path,step,move,result');
    expect(new Set(paths.slice(1).map((l) => l.split(',')[0]))).toEqual(new Set(['ana', 'ben', 'cai']));
    expect(html).toContain('parley play --load');
    const bad = spawnSync(process.execPath, [BIN, 'debrief', ...sessions, '--html'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--html writes a page: give --out FILE\.html/);
  });
});

describe('report inputs read as streams', () => {
  it('row files and trajectory files give the same outcome counts and a fan per tension and round', () => {
    const r = parley(dir, 'report', 'river.csv', 'river-rounds.jsonl', '--out', 'streams.html');
    expect(r.code, r.err).toBe(0);
    const html = readFileSync(join(dir, 'streams.html'), 'utf8');
    const csvOf = (id: string) => decodeURIComponent(new RegExp(`download="${id}.csv" href="data:text/csv;charset=utf-8,([^"]+)"`).exec(html)![1]!).trim().split('\r\n');
    const summary = JSON.parse(readFileSync(join(dir, 'river.json'), 'utf8')) as { outcomes: Record<string, { count: number }> };
    const finals = csvOf('s1-shares').slice(1).map((l) => l.split(',')).filter((f) => f[0] === 'final');
    for (const [, outcome, count] of finals) expect(Number(count), outcome).toBe(summary.outcomes[outcome!]!.count);
    const fans = csvOf('s2-fans');
    expect(fans[0]).toBe('series,round,q05,q25,median,q75,q95');
    for (const line of fans.slice(1)) {
      const [, , q05, q25, median, q75, q95] = line.split(',').map(Number);
      expect(q05! <= q25! && q25! <= median! && median! <= q75! && q75! <= q95!).toBe(true);
    }
  });

  it('refuses a damaged row file with its line', () => {
    const lines = readFileSync(join(dir, 'river.csv'), 'utf8').split('\n');
    lines[5] = 'garbage';
    writeFileSync(join(dir, 'damaged.csv'), lines.join('\n'));
    const r = parley(dir, 'report', 'damaged.csv', '--out', 'd.html');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/damaged\.csv.*line 6/);
  });
});

describe.skipIf(!CHROMIUM)('the report in a real browser', () => {
  it('draws every chart, with no console error, and makes a screenshot', async () => {
    const r = parley(dir, 'report', 'sweep.json', 'river.json', 'river.csv', 'river-rounds.jsonl', 'morris.json', '--out', 'both.html');
    expect(r.code, r.err).toBe(0);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('request', (q) => { if (!q.url().startsWith('file:') && !q.url().startsWith('data:')) problems.push(`request to ${q.url()}`); });
      await page.goto(`file://${join(dir, 'both.html')}`);
      const charts = await page.$$eval('figure', (figures) => figures.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return { id: f.id, width: box?.width ?? 0, height: box?.height ?? 0, marks: svg?.querySelectorAll('path, rect, line').length ?? 0 };
      }));
      expect(charts.map((c) => c.id)).toEqual(['s1-shares', 's1-sweep', 's2-shares', 's3-shares', 's3-tensions', 's4-fans', 's4-goldstein', 's5-morris']);
      for (const c of charts) {
        expect(c.width, c.id).toBeGreaterThan(200);
        expect(c.height, c.id).toBeGreaterThan(80);
        expect(c.marks, c.id).toBeGreaterThan(10);
      }
      await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
      expect(readFileSync(join(dir, 'report.png')).length).toBeGreaterThan(20_000);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

if (!CHROMIUM) console.warn('report.test.ts: no Chromium at /usr/bin/chromium, so the report is not checked in a browser (install Debian\'s `chromium` package).');
