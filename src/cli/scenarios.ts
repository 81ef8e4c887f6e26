/** `parley scenarios`: the bundled scenarios and exercises, one line each. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { scenariosDir } from '../paths.ts';
import { loadExercise } from '../scenario/exercise.ts';
import { bundledScenarioIds, loadScenario } from '../scenario/load.ts';

export function scenariosCommand(): void {
  const ids = bundledScenarioIds();
  const dir = join(scenariosDir(), 'exercises');
  const exercises = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort() : [];
  const width = Math.max(0, ...ids.map((id) => id.length), ...exercises.map((f) => `exercises/${f}`.length));
  for (const id of ids) {
    const def = loadScenario(id);
    process.stdout.write(`${id.padEnd(width)}  ${def.title} — ${def.summary.split('\n')[0]!.trim()}\n`);
  }
  if (exercises.length) process.stdout.write('\nexercises (parley run --exercise ID):\n');
  for (const f of exercises) {
    const exercise = loadExercise(join(dir, f));
    process.stdout.write(`${f.replace(/\.(ya?ml|json)$/, '').padEnd(width)}  ${exercise.config.title} — on ${exercise.def.id}, as ${exercise.config.role}\n`);
  }
}
