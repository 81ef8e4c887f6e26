import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exerciseJsonSchema, scenarioJsonSchema } from '../src/index.ts';

describe('the committed JSON Schemas', () => {
  it('match the zod schemas they are generated from (npm run build writes them)', () => {
    expect(JSON.parse(readFileSync('schema/scenario.schema.json', 'utf8'))).toEqual(scenarioJsonSchema());
    expect(JSON.parse(readFileSync('schema/exercise.schema.json', 'utf8'))).toEqual(exerciseJsonSchema());
  });

  it('are named by the yaml-language-server comment of every bundled file', () => {
    for (const file of ['scenarios/petro-trump.yaml', 'scenarios/river-dispute.yaml']) {
      expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/scenario.schema.json');
    }
    for (const id of ['security-compact', 'keep-the-channel', 'river-treaty']) {
      expect(readFileSync(`scenarios/exercises/${id}.yaml`, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../../schema/exercise.schema.json');
    }
  });
});
