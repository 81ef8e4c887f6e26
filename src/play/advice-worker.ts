/**
 * Entry of the play screen's advice thread (bundled as `dist/advice-worker.js`): it computes
 * "what if I pull each?" (`computeAdvice`) off the screen's thread, so keys never wait for it.
 *
 * Messages in: `{ type: 'advise', id, request }` and `{ type: 'cancel', id }`. Out: `progress`
 * (runs done per move), then `done` with the advice or `error` with a message. The scenario (or
 * the exercise, with its injects and objective) is read from the request's file once per file
 * and hash; a file that changed on disk since play began is refused as `stale`, since its figures
 * would not be the screen's (the screen then computes on its own thread, from what it holds).
 */
import { parentPort } from 'node:worker_threads';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import type { Exercise } from '../scenario/exercise.ts';
import { loadScenario } from '../scenario/load.ts';
import { computeAdvice, requestedExercise, type AdviceRequest } from './advice.ts';
import type { AdviceMessage, AdviceReply } from './advice-client.ts';

const loaded = new Map<string, { def: ScenarioDefinition; exercise: Exercise | null }>();
const running = new Map<number, AbortController>();

/** A file that is not what play began with (changed, or gone). */
class Stale extends Error {}

function scenarioOf(request: AdviceRequest): { def: ScenarioDefinition; exercise: Exercise | null } {
  const file = request.exercise?.file ?? request.scenario.file;
  if (file === null) throw new Stale('the scenario is not in a file');
  const key = `${request.exercise ? 'exercise' : 'scenario'}\u0000${file}\u0000${request.scenario.hash}\u0000${request.exercise?.fingerprint ?? ''}`;
  let scenario = loaded.get(key);
  if (!scenario) {
    let exercise: Exercise | null = null;
    let def: ScenarioDefinition;
    try {
      exercise = request.exercise ? requestedExercise(request) : null;
      def = exercise ? exercise.def : loadScenario(file);
    } catch (error) {
      throw new Stale(error instanceof Error ? error.message : String(error));
    }
    if (def.hash !== request.scenario.hash) throw new Stale(`${file} has changed since play began`);
    loaded.set(key, (scenario = { def, exercise }));
  }
  return scenario;
}

const port = parentPort;
if (!port) throw new Error('advice-worker: not a worker thread');
const reply = (message: AdviceReply) => port.postMessage(message);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

port.on('message', (message: AdviceMessage) => {
  if (message.type === 'cancel') {
    running.get(message.id)?.abort();
    running.delete(message.id);
    return;
  }
  const { id, request } = message;
  const controller = new AbortController();
  running.set(id, controller);
  let scenario: { def: ScenarioDefinition; exercise: Exercise | null };
  try {
    scenario = scenarioOf(request);
  } catch (error) {
    running.delete(id);
    reply({ type: 'error', id, message: messageOf(error), stale: error instanceof Stale });
    return;
  }
  computeAdvice(scenario, request, { signal: controller.signal, sliceMs: 40, onProgress: (progress) => reply({ type: 'progress', id, progress }) }, scenario.exercise).then(
    (advice) => reply({ type: 'done', id, advice }),
    (error: unknown) => {
      if (!controller.signal.aborted) reply({ type: 'error', id, message: messageOf(error), stale: false });
    },
  ).finally(() => running.delete(id));
});
