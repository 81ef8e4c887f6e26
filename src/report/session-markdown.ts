/**
 * The current branch of a play session as a Markdown transcript, with its branch code and the
 * command that reopens it. Rendering only: `src/play/files.ts` names and writes the file.
 */
import { scenarioRef } from '../scenario/load.ts';
import { exerciseRef } from '../scenario/exercise.ts';
import { describeState } from '../engine/describe.ts';
import { roundMoment } from '../scenario/dates.ts';
import { ENGINE_VERSION } from '../version.ts';
import { branchCode, entriesTo, FACILITATOR, type Session } from '../play/session.ts';
import { formatEntry, formatHappening, num } from './transcript.ts';

/** The branch that ends at node `id` (default: the current one) as Markdown. */
export function exportMarkdown(session: Session, id = session.current): string {
  const { def } = session.compiled;
  const node = session.nodes[id]!;
  const view = describeState(def, node.state);
  const code = branchCode(session, id);
  const role = session.role === FACILITATOR ? 'facilitator' : def.actors.find((a) => a.id === session.role)?.name ?? session.role;
  const out: string[] = [];
  out.push(`# ${def.title}: a played branch`, '');
  out.push(`- Scenario: \`${def.id}\` (hash \`${def.hash.slice(0, 12)}\`), Parley ${ENGINE_VERSION}`);
  out.push(`- Seed: ${session.seed} · policy: ${session.policy} · played as: ${role}`);
  out.push(`- Branch code: \`${code}\``);
  out.push(`- Reopen it: \`${reopenCommand(session, code)}\``, '');
  out.push('## What happened', '', '```text');
  for (const h of session.opening) out.push(...formatHappening(def, h, '  '));
  let g = -1;
  for (const e of entriesTo(session, id)) {
    if (e.g !== g) {
      g = e.g;
      const r = def.rounds[g]!;
      out.push(`${def.phases[r.phase]!.label} — round ${r.round} — ${roundMoment(r)}`);
    }
    out.push(...formatEntry(def, e).filter((l) => l.trim() !== ''));
  }
  out.push('```', '');
  out.push(node.state.ended ? '## Outcome' : '## Where it stands', '');
  if (view.outcome) {
    const o = def.outcomes.find((x) => x.id === view.outcome)!;
    out.push(`**${o.label}** (\`${o.id}\`)${o.definition ? `: ${o.definition.trim()}` : ''}`, '');
  } else {
    const phase = def.phases.find((p) => p.id === view.phase)!;
    out.push(`${phase.label}, round ${view.round}, ${roundMoment(def.rounds[node.state.g]!)}; step ${view.step + 1}; ${def.actors.find((a) => a.id === view.actor)?.name ?? view.actor} to decide.`, '');
  }
  out.push('| | value |', '| --- | ---: |');
  for (const t of def.tensions) out.push(`| ${t.label} (\`${t.id}\`) | ${num(view.tensions[t.id]!)} |`);
  for (const d of def.derived) out.push(`| ${d.label} | ${num(view.derived[d.id]!)} |`);
  out.push(`| Relationship | ${def.relationship.labels[node.state.rel]} |`);
  for (const [actor, stance] of Object.entries(view.stances)) out.push(`| Stance of ${def.actors.find((a) => a.id === actor)!.name} | ${stance} |`);
  return out.join('\n') + '\n';
}

/**
 * The command that reopens a branch where a reader is: the bundled id rather than this
 * machine's path, and the role, parameters or exercise the branch was played with.
 */
export function reopenCommand(session: Session, code: string): string {
  const { def } = session.compiled;
  const parts = ['parley play', session.exercise ? `--exercise ${exerciseRef(session.exercise.id, session.exercise.file)}` : scenarioRef(def.id, def.file)];
  parts.push(`--branch ${code}`);
  if (session.role !== FACILITATOR && !session.exercise) parts.push(`--role ${session.role}`);
  for (const p of def.parameters) if (Object.hasOwn(session.params, p.id) && session.params[p.id] !== p.default) parts.push(`--set ${p.id}=${session.params[p.id]}`);
  return parts.join(' ');
}
