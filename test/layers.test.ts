/**
 * The source reads top-down (issue 11): dependency-cruiser checks src/ and ui/ against the
 * layers and exceptions of `.dependency-cruiser.cjs` — no import from a layer above, no import
 * circles. A failure lists each offending import as `rule: from → to`.
 */
import { describe, expect, it } from 'vitest';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

describe('layers', () => {
  it('src/ and ui/ import only from the layers below them, and in no circle', async () => {
    const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs');
    const { output } = await cruise(['src', 'ui'], options, {}, { tsConfig: extractTSConfig('tsconfig.json') });
    const { summary } = output as ICruiseResult;
    const violations = summary.violations.map((v) =>
      v.cycle ? `${v.rule.name}: ${v.from} → ${v.cycle.map((c) => c.name).join(' → ')}` : `${v.rule.name}: ${v.from} → ${v.to}`,
    );
    expect(violations).toEqual([]);
    // The check has something to check: the whole source, and the rules of the config.
    expect(summary.totalCruised).toBeGreaterThan(60);
    expect(summary.ruleSetUsed?.forbidden?.map((r) => r.name)).toEqual(expect.arrayContaining(['no-circular', 'layer-io', 'layer-engine', 'layer-play', 'ui-through-play']));
  }, 60_000);
});
