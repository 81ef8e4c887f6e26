/**
 * `parley compare`: every move of the actor deciding at a node, continued under the policy on
 * the same seeds: P(goal) and outcome shares per move, and paired differences against the
 * policy's own choice with their intervals.
 */
import { safeText } from '../scenario/safe-text.ts';
import { compareLevers, DEFAULT_COMPARE_RUNS, type CompareResult } from '../analysis/compare.ts';
import type { Goal } from '../analysis/goal.ts';
import type { PairedDifference } from '../analysis/paired.ts';
import { describeNode, int, parseCount, pct, provenance, resolveGoal, resolveSetup, type AnalysisFlags, type AnalysisSetup, writeJson } from './odds.ts';

export interface CompareFlags extends AnalysisFlags {
  outcome?: string;
  objective?: string;
  runs?: string;
  json?: boolean;
}

export function compareCommand(scenarioRef: string | undefined, flags: CompareFlags, explicitPolicy: boolean, out: NodeJS.WritableStream = process.stdout): void {
  const runs = flags.runs === undefined ? DEFAULT_COMPARE_RUNS : parseCount(flags.runs, '--runs', 1, 10_000_000, '2000');
  const setup = resolveSetup(scenarioRef, flags, explicitPolicy);
  const goal = resolveGoal(setup, flags);
  const r = compareLevers(setup.compiled, setup.node, { policy: setup.policy, goal, runs, seed: setup.seed });
  if (flags.json) {
    writeJson(out, {
      ...provenance(setup),
      goal: goal ? { ...goal.spec, label: goal.label } : null,
      actor: r.actor,
      runs: r.runs,
      seedPlan: { base: r.seed, seed: 'run j of every move rerolls to deriveSeed(base, j) at the node, then takes the move', policyArm: "the policy's own choice on seed j: the moves' results on seed j weighted by the policy's chance of choosing each" },
      narrower: r.narrower,
      narrowerAtEqualTotal: r.narrowerAtEqualTotal,
      moves: r.arms.map((a) => ({
        id: a.id, label: a.label, action: a.action, policyP: a.policyP,
        ...(a.goal ? { goal: a.goal } : {}),
        outcomes: a.outcomes,
        ...(a.vsPolicy ? { vsPolicy: a.vsPolicy } : {}),
        ...(a.id !== 'policy' ? { outcomesVsPolicy: a.outcomesVsPolicy } : {}),
      })),
    });
    return;
  }
  out.write(safeText(formatCompare(setup, goal, r)));
}

const signed = (x: number, digits = 1): string => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(digits)}`;
const range = (ci: readonly [number, number]): string => `${signed(ci[0])}…${signed(ci[1])}`;
const times = (d: PairedDifference | null): string => (d?.narrower ? `${d.narrower.toFixed(1)}×` : d ? '∞' : '');

function formatCompare(setup: AnalysisSetup, goal: Goal | null, r: CompareResult): string {
  const { def } = setup;
  const actor = def.actors.find((a) => a.id === r.actor)!;
  const lines = [
    `Compare — ${def.title} (${def.id}, ${def.hash.slice(0, 12)}) · ${describeNode(setup)} · policy ${setup.policy}`,
    ...(setup.code ? [`Node: ${setup.code}`] : []),
    `Moves of ${actor.name} (${actor.id}), each continued under the policy on the same ${int(r.runs)} seeds: run j rerolls to deriveSeed(${r.seed}, j) at the node, then takes the move.`,
    `The policy's own choice on seed j is the moves' results on seed j weighted by its chance of choosing each (no runs of its own).`,
  ];
  const w = Math.max(24, ...r.arms.map((a) => a.id.length + 2));
  if (goal) {
    lines.push(`Goal: ${goal.label}`, '');
    lines.push(`  ${'move'.padEnd(w)} ${'chosen'.padStart(6)}  ${'P(goal)'.padStart(7)}  ${'95%'.padEnd(11)}  ${'vs policy'.padStart(9)}  ${'paired 95%'.padEnd(13)}  ${'independent 95%'.padEnd(15)}  narrower`);
    for (const a of r.arms) {
      const g = a.goal!;
      const head = `  ${a.id.padEnd(w)} ${pct(a.policyP, 0).padStart(6)}  ${pct(g.proportion).padStart(7)}  ${`${(g.ci95[0] * 100).toFixed(1)}–${(g.ci95[1] * 100).toFixed(1)}`.padEnd(11)}`;
      lines.push(a.vsPolicy ? `${head}  ${signed(a.vsPolicy.difference).padStart(9)}  ${range(a.vsPolicy.ci95).padEnd(13)}  ${range(a.vsPolicy.independentCi95).padEnd(15)}  ${times(a.vsPolicy)}` : head);
    }
    lines.push('', '  (differences in points; "chosen": how likely the policy is to choose the move here)');
  }
  // Outcome shares, with each move's paired difference against the policy's own choice.
  const ow = Math.max(8, ...def.outcomes.map((o) => Math.min(18, o.id.length)));
  lines.push('', `Outcome shares (%), and the paired difference against the policy's own choice (points)${goal ? '' : ' with its 95% interval'}:`);
  lines.push(`  ${'move'.padEnd(w)} ${def.outcomes.map((o) => o.id.slice(0, 18).padStart(ow)).join('  ')}`);
  for (const a of r.arms) {
    lines.push(`  ${a.id.padEnd(w)} ${def.outcomes.map((o) => (a.outcomes[o.id]!.proportion * 100).toFixed(1).padStart(ow)).join('  ')}`);
    if (a.id === 'policy') continue;
    lines.push(`  ${''.padEnd(w)} ${def.outcomes.map((o) => signed(a.outcomesVsPolicy[o.id]!.difference).padStart(ow)).join('  ')}`);
    if (!goal) lines.push(`  ${''.padEnd(w)} ${def.outcomes.map((o) => `±${(((a.outcomesVsPolicy[o.id]!.ci95[1] - a.outcomesVsPolicy[o.id]!.ci95[0]) / 2) * 100).toFixed(1)}`.padStart(ow)).join('  ')}`);
  }
  lines.push('');
  lines.push(r.narrower === null ? 'Every pair of runs agreed: the moves make no difference on these seeds.' : `Variance reduction: the paired intervals are ${r.narrower.toFixed(1)}× narrower (median over the moves${goal ? '' : ' and outcomes'}) than independent runs of each move and of the policy would give at the same number of runs per move; ${r.narrowerAtEqualTotal!.toFixed(1)}× at the same number of runs in all (the policy's own choice needs no runs of its own).`);
  return `${lines.join('\n')}\n`;
}
