import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeDot, escapeMermaid, renderGraph } from '../src/report/graph.ts';
import { loadScenario } from '../src/scenario/load.ts';

function parley(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/parley.js', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const SCENARIOS = ['test/fixtures/mini.yaml', 'river-dispute', 'petro-trump'];

describe('graph', () => {
  for (const ref of SCENARIOS) {
    it(`draws every phase, relationship state and stance state of ${ref} in both formats`, () => {
      const def = loadScenario(ref);
      const mermaid = renderGraph(def, 'mermaid');
      const dot = renderGraph(def, 'dot');
      expect(mermaid.startsWith('stateDiagram-v2\n')).toBe(true);
      expect(dot.startsWith('digraph ')).toBe(true);
      expect(dot.trimEnd().endsWith('}')).toBe(true);
      for (const phase of def.phases) {
        expect(mermaid).toContain(`as ph_${phase.id}\n`);
        expect(dot).toContain(`"ph_${phase.id}" [label=`);
      }
      for (const s of def.relationship.states) {
        expect(mermaid).toContain(`as rel_${s}\n`);
        expect(dot).toContain(`"rel_${s}" [label=`);
      }
      for (const actor of def.actors) {
        for (const s of actor.stance?.states ?? []) {
          expect(mermaid).toContain(`as st${actor.index}_${s}\n`);
          expect(dot).toContain(`"st${actor.index}_${s}" [label=`);
        }
      }
      // Every transition is an edge (a `*` transition is one edge per other state).
      const transitions = def.relationship.transitions.length + def.actors.reduce((n, a) => n + (a.stance?.transitions.length ?? 0), 0);
      expect(mermaid.match(/^ {6}(rel|st\d+)_\w+ --> /gm)?.length ?? 0).toBe(transitions);
      // Braces balance: a label never opens or closes a block.
      expect(mermaid.split('{').length).toBe(mermaid.split('}').length);
      expect(dot.split('{').length).toBe(dot.split('}').length);
      expect(renderGraph(def, 'mermaid')).toBe(mermaid);
    });
  }

  it('labels guards and shows levers and events per phase', () => {
    const def = loadScenario('test/fixtures/mini.yaml');
    const mermaid = renderGraph(def, 'mermaid');
    expect(mermaid).toContain('rel_tense --> rel_hostile : (1) crisis #62;= 65');
    expect(mermaid).toContain('ph_talks : Mediator#58; Back-channel call');
    expect(mermaid).toContain('ph_after : scheduled#58; Summit news (round 2)');
    const dot = renderGraph(def, 'dot');
    expect(dot).toContain('"rel_tense" -> "rel_hostile" [label="(1) crisis >= 65"]');
    expect(dot).toContain('may happen: Incident\\l');
  });

  it('escapes labels for each format', () => {
    expect(escapeMermaid('a "b"; c: d <e> {f}\n#g')).toBe('a #34;b#34;#59; c#58; d #60;e#62; #123;f#125; #35;g');
    expect(escapeMermaid('x --> y')).not.toMatch(/[<>]/);
    expect(escapeDot('say "hi" \\ bye\nnext')).toBe('say \\"hi\\" \\\\ bye\\nnext');
  });
});

describe('parley graph and parley schema', () => {
  it('prints Mermaid by default and DOT on request', () => {
    const m = parley('graph', 'river-dispute');
    expect(m.code).toBe(0);
    expect(m.out.startsWith('stateDiagram-v2')).toBe(true);
    const d = parley('graph', 'test/fixtures/mini.yaml', '--format', 'dot');
    expect(d.code).toBe(0);
    expect(d.out.startsWith('digraph')).toBe(true);
  });

  it('refuses bad input with exit 2 and a message', () => {
    const f = parley('graph', 'river-dispute', '--format', 'svg');
    expect(f.code).toBe(2);
    expect(f.err).toContain('--format: must be mermaid or dot');
    const s = parley('graph', 'no-such-scenario');
    expect(s.code).toBe(2);
    expect(s.err).toContain('no bundled scenario');
    const b = parley('graph', 'test/fixtures/broken-scenario.yaml');
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/broken-scenario\.yaml:\d+:\d+: /);
  });

  it('prints the JSON Schema, the same as the shipped file, or writes it with --out', () => {
    const s = parley('schema');
    expect(s.code).toBe(0);
    const schema = JSON.parse(s.out) as { $schema: string; properties: Record<string, unknown> };
    expect(schema.$schema).toContain('json-schema.org');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['title', 'levers', 'relationship', 'outcomes']));
    expect(s.out).toBe(readFileSync('schema/scenario.schema.json', 'utf8'));
    const out = join(mkdtempSync(join(tmpdir(), 'parley-schema-')), 'scenario.schema.json');
    expect(parley('schema', '--out', out).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(s.out);
    const bad = parley('schema', '--out', '/nonexistent-dir/x.json');
    expect(bad.code).toBe(2);
    expect(parley('schema', 'exercise').out).toBe(readFileSync('schema/exercise.schema.json', 'utf8'));
    const unknown = parley('schema', 'session');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('no format `session`');
  });
});
