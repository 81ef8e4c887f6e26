import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, loadExercise, loadScenario, type Rejection } from '../src/index.ts';
import { act, createSession, policyMove, pull, type Session } from '../src/play/session.ts';
import { saveSession } from '../src/play/save.ts';
import { debriefMarkdown } from '../src/report/debrief.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-debrief-'));
const ok = (x: Session | Rejection): Session => {
  if ('type' in x) throw new Error(x.message);
  return x;
};

function classOf(): string[] {
  const exercise = loadExercise('keep-the-channel');
  const compiled = compile(exercise.def);
  const open = () => createSession(compiled, { seed: exercise.config.seeds[0]!, policy: exercise.config.policy, params: exercise.params, role: 'paul', exercise: { id: exercise.id, file: resolve(exercise.file) } });
  const toEnd = (s: Session) => {
    let x = s;
    while (!x.nodes[x.current]!.state.ended) x = ok(policyMove(x, true));
    return x;
  };
  // Two students call at once, one waits: the paths diverge at the first decision.
  const students = { ana: toEnd(ok(pull(open(), 'back_channel'))), ben: toEnd(ok(pull(open(), 'back_channel'))), cai: toEnd(ok(act(open(), { type: 'pass' }))) };
  return Object.entries(students).map(([name, s]) => {
    const file = join(dir, `${name}.session.json`);
    saveSession(s, file);
    return file;
  });
}

describe('debrief', () => {
  const files = classOf();

  it("compares a class's sessions: results, objective and score, where paths diverged, and default play", () => {
    const md = debriefMarkdown(files, 300);
    expect(md).toMatch(/^# Debrief: As the mediator: keep the relationship out of crisis\n/);
    expect(md).toContain('exercise `keep-the-channel`, role paul; 3 sessions.');
    expect(md).toMatch(/\| ana \| 3 \| paul \| [^|]+ \| (met|not met) \| \d+ of 100 \| \d+ \|/);
    expect(md).toContain('## Where the paths diverged');
    expect(md).toContain('The paths differ from the first decision on.');
    expect(md).toContain('- **ana** then: step 3: Sen. Rand Paul pulls Back-channel call');
    expect(md).toContain('- **cai** then: step 3: Sen. Rand Paul passes');
    expect(md).toContain('## The class against default play');
    expect(md).toMatch(/\| Militarised crisis \| \d of 3 \| \d+\.\d% \[\d+\.\d%, \d+\.\d%\] \|/);
    expect(md).toContain('1. When did your channel close, if it did, and what closed it?');
  });

  it('runs from the command line and refuses sessions of different scenarios', () => {
    const r = spawnSync(process.execPath, ['bin/parley.js', 'debrief', ...files, '--runs', '100'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('# Debrief:');
    const other = createSession(compile(loadScenario('river-dispute')), { seed: 1 });
    const odd = join(dir, 'odd.session.json');
    saveSession(other, odd);
    const bad = spawnSync(process.execPath, ['bin/parley.js', 'debrief', files[0]!, odd], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('odd.session.json: this session is for scenario `river-dispute`, the others for `petro-trump`');
  });
});
