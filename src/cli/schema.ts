/** `parley schema`: the JSON Schema of the scenario (or exercise) format, for editors and validators. */
import { writeOutput } from '../io/output.ts';
import { UsageError } from '../scenario/errors.ts';
import { exerciseJsonSchema } from '../scenario/exercise.ts';
import { scenarioJsonSchema } from '../scenario/schema.ts';

const FORMATS: Record<string, () => Record<string, unknown>> = { scenario: scenarioJsonSchema, exercise: exerciseJsonSchema };

export function schemaCommand(format: string, flags: { out?: string; force?: boolean }): void {
  const schema = Object.prototype.hasOwnProperty.call(FORMATS, format) ? FORMATS[format] : undefined;
  if (!schema) throw new UsageError(`no format \`${format}\``, 'parley schema scenario, or parley schema exercise');
  const text = JSON.stringify(schema(), null, 2) + '\n';
  if (flags.out === undefined) process.stdout.write(text);
  else writeOutput(flags.out, text, { flag: '--out', replace: flags.force === true });
}
