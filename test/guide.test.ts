import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../src/scenario/expr.ts';
import { ScenarioSchema } from '../src/scenario/schema.ts';

const guide = readFileSync('scenarios/README.md', 'utf8');

describe('the authoring guide (scenarios/README.md)', () => {
  it('has a field reference that matches the schema (node scripts/gen-guide.mjs regenerates it)', () => {
    const check = spawnSync(process.execPath, ['scripts/gen-guide.mjs', '--check'], { encoding: 'utf8', timeout: 30_000 });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('documents every top-level section, every lever field and every expression function', () => {
    for (const field of Object.keys(ScenarioSchema.shape)) if (field !== '$schema') expect(guide).toContain(`| \`${field}\` |`);
    expect(guide).toContain('### `levers.<id>.branches.<id>`');
    for (const name of FUNCTION_NAMES) expect(guide).toContain(`\`${name}`);
  });

  it('quotes the teaching scenario as it is', () => {
    const scenario = readFileSync('scenarios/river-dispute.yaml', 'utf8');
    for (const line of ['start: 2031-03-10', '    when: not pulled(filling_schedule.agreed)', '  - {event: drought, phase: dry_season, round: 8, note: the driest week of the year}']) {
      expect(scenario).toContain(line);
      expect(guide).toContain(line);
    }
  });
});
