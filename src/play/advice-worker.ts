/**
 * Entry of the play screen's advice thread (bundled as `dist/advice-worker.js`): it computes
 * "what if I pull each?" (`computeAdvice`) off the screen's thread, so keys never wait for it.
 *
 * Messages in: `{ type: 'advise', id, request }` and `{ type: 'cancel', id }`. Out: `progress`
 * (runs done per move), then `done` with the advice or `error` with a message. The scenario is
 * read from the request's file (or its exercise's) once per file and hash; a file that changed
 * on disk since play began is refused, since its figures would not be the screen's.
 */
import { parentPort } from 'node:worker_threads';
import type { ScenarioDefinition } from '../scenario/definition.ts';
import { loadExercise } from '../scenario/exercise.ts';
import { loadScenario } from '../scenario/load.ts';
import { computeAdvice, type AdviceRequest } from './advice.ts';
import type { AdviceMessage, AdviceReply } from './advice-client.ts';

const loaded = new Map<string, { def: ScenarioDefinition }>();
const running = new Map<number, AbortController>();

function scenarioOf(request: AdviceRequest): { def: ScenarioDefinition } {
  const file = request.exercise ?? request.scenario.file;
  if (file === null) throw new Error('the scenario is not in a file');
  const key = `${request.exercise ? 'exercise' : 'scenario'}\u0000${file}\u0000${request.scenario.hash}`;
  let scenario = loaded.get(key);
  if (!scenario) {
    const def = request.exercise ? loadExercise(request.exercise).def : loadScenario(file);
    if (def.hash !== request.scenario.hash) throw new Error(`${file} has changed since play began: restart parley play to weigh the moves of the new version`);
    loaded.set(key, (scenario = { def }));
  }
  return scenario;
}

const port = parentPort;
if (!port) throw new Error('advice-worker: not a worker thread');
const reply = (message: AdviceReply) => port.postMessage(message);

port.on('message', (message: AdviceMessage) => {
  if (message.type === 'cancel') {
    running.get(message.id)?.abort();
    running.delete(message.id);
    return;
  }
  const { id, request } = message;
  const controller = new AbortController();
  running.set(id, controller);
  let scenario: { def: ScenarioDefinition };
  try {
    scenario = scenarioOf(request);
  } catch (error) {
    running.delete(id);
    reply({ type: 'error', id, message: error instanceof Error ? error.message : String(error) });
    return;
  }
  computeAdvice(scenario, request, { signal: controller.signal, sliceMs: 40, onProgress: (progress) => reply({ type: 'progress', id, progress }) }).then(
    (advice) => reply({ type: 'done', id, advice }),
    (error: unknown) => {
      if (!controller.signal.aborted) reply({ type: 'error', id, message: error instanceof Error ? error.message : String(error) });
    },
  ).finally(() => running.delete(id));
});
