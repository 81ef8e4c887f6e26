/**
 * Loading scenarios: parsed file (unknown) → validated config → normalised definition, with
 * every problem in the file reported at once as `file:line:col: message` and a hint.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { DEFAULT_SCENARIO, scenariosDir } from '../paths.ts';
import { goldsteinTable } from './cameo.ts';
import type { ScenarioDefinition } from './definition.ts';
import { ScenarioError, suggest, UnknownScenarioError, type Issue } from './errors.ts';
import { NormalizeError, normalizeScenario, type PathIssue } from './normalize.ts';
import { parseDataText, readDataFile, type ParsedFile, type PathSegment } from './parse.ts';
import { ScenarioSchema } from './schema.ts';
import { safeDeep } from './safe-text.ts';

export { DEFAULT_SCENARIO };
const FLOW_COMMA_HINT = 'inside `{ … }` a comma ends a value: put quotes around an expression that contains commas, or write `pulled(lever.branch)`';
const EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Ids of the bundled scenarios (files directly under `scenarios/`). */
export function bundledScenarioIds(): string[] {
  const dir = scenariosDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => EXTENSIONS.includes(extname(f)))
    .map((f) => basename(f, extname(f)))
    .sort();
}

/** A bundled id or a path → the file to read. */
export function resolveScenarioPath(ref: string): string {
  if (EXTENSIONS.includes(extname(ref)) || ref.includes('/') || ref.includes('\\')) return ref;
  for (const ext of EXTENSIONS) {
    const candidate = join(scenariosDir(), ref + ext);
    if (existsSync(candidate)) return candidate;
  }
  if (existsSync(ref)) return ref;
  throw new UnknownScenarioError(ref, bundledScenarioIds());
}

/** Whether a scenario read from `file` is the bundled scenario `id`. */
function isBundled(id: string, file: string): boolean {
  return bundledScenarioIds().includes(id) && resolve(resolveScenarioPath(id)) === resolve(file);
}

/** How a command names a scenario: its bundled id, or the path of a scenario file of one's own. */
export function scenarioRef(id: string, file: string | null): string {
  return file === null || isBundled(id, file) ? id : file;
}

/**
 * How a branch code names a scenario: its id — but a file of one's own whose id is a bundled
 * scenario's (a local `petro-trump.yaml`) by its file name, so that the code loads that file
 * (from the current folder) and never replays on the bundled scenario.
 */
export function codeName(id: string, file: string | null): string {
  return file === null || !bundledScenarioIds().includes(id) || isBundled(id, file) ? id : basename(file);
}

/** Whether a branch code's scenario (`petro-trump`, `my scenario`, `petro-trump.yaml`) names `def`. */
export function codeNames(codeScenario: string, def: ScenarioDefinition): boolean {
  return codeScenario === (def.codeName ?? def.id);
}

/** Loads a bundled scenario by id, or a scenario file by path. Throws `ScenarioError`. */
export function loadScenario(ref: string = DEFAULT_SCENARIO): ScenarioDefinition {
  const file = resolveScenarioPath(ref);
  return compileParsed(readDataFile(file));
}

/** Compiles scenario text (YAML or JSON); `file` names it in messages and gives its id. */
export function loadScenarioText(text: string, file: string): ScenarioDefinition {
  return compileParsed(parseDataText(file, text));
}

/** Every issue in a scenario file, without throwing: the list is empty when the file is valid. */
export function validateScenarioFile(ref: string): Issue[] {
  try {
    loadScenario(ref);
    return [];
  } catch (error) {
    if (error instanceof ScenarioError) return [...error.issues];
    throw error;
  }
}

export function scenarioIdOf(file: string): string {
  return basename(file, extname(file));
}

function compileParsed(parsed: ParsedFile): ScenarioDefinition {
  const result = ScenarioSchema.safeParse(parsed.data);
  if (!result.success) {
    // Report the structural problems and, so that every problem in the file shows at once,
    // the name and expression problems of the parts that are well formed.
    const structural = result.error.issues.flatMap((i) => zodIssue(parsed, i));
    throw new ScenarioError(sortIssues([...structural, ...semanticIssuesDespite(parsed, result.error.issues)]));
  }
  try {
    const def = displaySafe(normalizeScenario(scenarioIdOf(parsed.file), result.data, goldsteinTable(), parsed.file));
    const name = codeName(def.id, def.file);
    return name === def.id ? def : { ...def, codeName: name };
  } catch (error) {
    if (!(error instanceof NormalizeError)) throw error;
    throw new ScenarioError(sortIssues(error.issues.map((i) => placeIssue(parsed, i))));
  }
}

/** Kept as written: the config (the hash is of it), the file's path and the scenario id (codes name it). */
const RAW = new Set(['config', 'file', 'hash', 'id']);

/**
 * The definition with every text shown to a person (titles, labels, names, descriptions, …)
 * made safe for a terminal: control characters and bidi overrides become visible escapes.
 * Done once here, so every front end (run, graph, play, debrief, export) shows safe text.
 */
function displaySafe(def: ScenarioDefinition): ScenarioDefinition {
  return safeDeep(def, RAW);
}

function placeIssue(parsed: ParsedFile, i: PathIssue): Issue {
  return {
    file: parsed.file,
    ...parsed.locate(i.path, { ...(i.key ? { key: true } : {}), ...(i.offset !== undefined ? { offset: i.offset } : {}) }),
    path: i.path.join('.'),
    message: i.message,
    ...(i.hint ? { hint: i.hint } : {}),
  };
}

/** Top-level values that a stand-in can replace while the rest of a broken file is checked. */
const STAND_INS: Record<string, unknown> = { start: '2000-01-01', title: 'untitled', summary: 'untitled', description: '' };

/** Sections whose entries can be set aside one by one when they are malformed. */
const ENTRY_SECTIONS = new Set(['sources', 'parameters', 'tensions', 'derived', 'conditions', 'actors', 'phases', 'levers', 'mediators', 'events', 'schedule', 'couplings', 'policies', 'outcomes']);

/**
 * Name and expression problems of a file whose structure is wrong in places: the malformed
 * entries (a lever, a phase …) are set aside, the rest is normalised, and problems that only
 * follow from setting an entry aside (its name is now unknown) are dropped.
 */
function semanticIssuesDespite(parsed: ParsedFile, zodIssues: readonly ZodIssue[]): Issue[] {
  const data = structuredClone(parsed.data) as Record<string, unknown>;
  const removedNames = new Set<string>();
  const removedSections = new Set<string>();
  const removals: { section: string; key: string | number }[] = [];
  for (const issue of zodIssues) {
    const path = issue.path as PathSegment[];
    if (issue.code === 'unrecognized_keys') {
      const target = valueAt(data, path);
      if (target.found && target.value && typeof target.value === 'object') for (const key of issue.keys) delete (target.value as Record<string, unknown>)[key];
      continue;
    }
    const [section, key] = path;
    // A wrong top-level text (an impossible date, a missing title) does not stop the other checks:
    // a stand-in takes its place for them.
    if (typeof section === 'string' && key === undefined && Object.prototype.hasOwnProperty.call(STAND_INS, section)) {
      data[section] = STAND_INS[section];
      continue;
    }
    // A problem at the top level (a missing or malformed section) leaves too little to check.
    if (typeof section !== 'string' || !ENTRY_SECTIONS.has(section) || key === undefined) return [];
    removals.push({ section, key });
  }
  for (const { section, key } of removals) {
    const container = data[section];
    if (Array.isArray(container)) {
      const entry = container[key as number] as { id?: unknown } | undefined;
      if (entry && typeof entry === 'object' && typeof entry.id === 'string') removedNames.add(entry.id);
      collectTags(entry, removedNames);
      container[key as number] = undefined;
    } else if (container && typeof container === 'object') {
      removedNames.add(String(key));
      collectTags((container as Record<string, unknown>)[key as string], removedNames);
      delete (container as Record<string, unknown>)[key as string];
    }
    removedSections.add(section);
  }
  for (const section of removedSections) if (Array.isArray(data[section])) data[section] = (data[section] as unknown[]).filter((x) => x !== undefined);
  const repaired = ScenarioSchema.safeParse(data);
  if (!repaired.success) return [];
  try {
    normalizeScenario(scenarioIdOf(parsed.file), repaired.data, goldsteinTable(), parsed.file);
    return [];
  } catch (error) {
    if (!(error instanceof NormalizeError)) throw error;
    return error.issues
      .filter((i) => !removedSections.has(String(i.path[0])) || !Array.isArray(data[String(i.path[0])]))
      .filter((i) => ![...removedNames].some((name) => i.message.includes(`\`${name}\``)))
      .map((i) => placeIssue(parsed, i));
  }
}

/** The tags an entry set aside declares (its own and its branches'): a rule naming one is not wrong. */
function collectTags(value: unknown, into: Set<string>): void {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k === 'tags' && Array.isArray(child)) child.forEach((t) => typeof t === 'string' && into.add(t));
        else stack.push(child);
      }
    }
  }
}

function sortIssues(issues: Issue[]): Issue[] {
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

function valueAt(data: unknown, path: readonly PathSegment[]): { found: boolean; value: unknown } {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, segment)) return { found: false, value: undefined };
    value = (value as Record<string, unknown>)[segment as string];
  }
  return { found: true, value };
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text "${value.length > 40 ? `${value.slice(0, 37)}…` : value}"`;
  return `${typeof value === 'number' ? 'the number' : typeof value === 'boolean' ? 'the value' : typeof value} ${String(value)}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text', number: 'a number', boolean: 'true or false', object: 'a mapping of fields', record: 'a mapping', array: 'a list', tuple: 'a list', int: 'a whole number',
};

type ZodIssue = z.core.$ZodIssue;
type ZodDef = { type: string; shape?: Record<string, { _zod: { def: ZodDef } }>; innerType?: { _zod: { def: ZodDef } }; valueType?: { _zod: { def: ZodDef } }; element?: { _zod: { def: ZodDef } }; options?: { _zod: { def: ZodDef } }[] };

/** The field names allowed at `path`, from the schema itself (for "did you mean" on unknown fields). */
function allowedKeys(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let defs: ZodDef[] = [(schema as unknown as { _zod: { def: ZodDef } })._zod.def];
  const unwrap = (d: ZodDef): ZodDef[] => {
    if (d.innerType) return unwrap(d.innerType._zod.def);
    if (d.type === 'union' && d.options) return d.options.flatMap((o) => unwrap(o._zod.def));
    return [d];
  };
  for (const segment of path) {
    defs = defs.flatMap(unwrap).flatMap((d): ZodDef[] => {
      if (d.type === 'object' && d.shape) {
        const child = d.shape[segment as string];
        return child ? [child._zod.def] : [];
      }
      if (d.type === 'record' && d.valueType) return [d.valueType._zod.def];
      if (d.type === 'array' && d.element) return [d.element._zod.def];
      return [];
    });
  }
  return defs.flatMap(unwrap).flatMap((d) => (d.type === 'object' && d.shape ? Object.keys(d.shape) : []));
}

/** A zod issue as messages placed in the file (`schema` names the fields that are allowed). */
export function zodIssue(parsed: ParsedFile, issue: ZodIssue, schema: z.ZodType = ScenarioSchema): Issue[] {
  const path = issue.path as PathSegment[];
  const where = (p: readonly PathSegment[], key = false) => ({ file: parsed.file, ...parsed.locate(p, { key }), path: p.join('.') });
  const { found, value } = valueAt(parsed.data, path);
  const field = path.length ? `\`${String(path[path.length - 1])}\`` : 'the document';
  if (found && typeof value === 'number' && !Number.isFinite(value)) {
    return [{ ...where(path), message: `${field} should be a finite number, found ${String(value)}`, hint: '`.nan` and `.inf` are not numbers a scenario can use' }];
  }
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const allowed = allowedKeys(schema, path);
        const flowComma = /[^A-Za-z0-9_$]/.test(key) ? FLOW_COMMA_HINT : undefined;
        const idFromName = schema === ScenarioSchema && path.length === 0 && key === 'id' ? `a scenario's id is its file name (${basename(parsed.file, extname(parsed.file))}); remove this line` : undefined;
        return { ...where([...path, key], true), message: `unknown field \`${key}\``, ...hint(flowComma ?? idFromName ?? suggest(key, allowed, 'field')) };
      });
    case 'invalid_type': {
      const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
      if (!found) return [{ ...where(path.slice(0, -1)), message: `missing required field ${field} (${expected})` }];
      if (path[path.length - 1] === 'cameo' && typeof value === 'number') return [unquotedCameo(parsed, where(path), value)];
      return [{ ...where(path), message: `${field} should be ${expected}, found ${describeValue(value)}` }];
    }
    case 'invalid_union': {
      if (!found) return [{ ...where(path.slice(0, -1)), message: `missing required field ${field}` }];
      const isExpr = typeof value === 'object' || value === null;
      const condition = schema === ScenarioSchema && path[0] === 'conditions' && path.length === 2;
      return [{ ...where(path), message: `${field} should be ${condition ? 'a condition (an expression that is true or false)' : isExpr ? 'a number or an expression' : 'one of the allowed forms'}, found ${describeValue(value)}`, ...(condition ? { hint: 'write it in quotes, e.g. `"ECON > 50 or pulled(tariff)"`' } : {}) }];
    }
    case 'too_small':
    case 'too_big': {
      const bound = String(issue.code === 'too_small' ? (issue as { minimum: unknown }).minimum : (issue as { maximum: unknown }).maximum);
      const origin = (issue as { origin?: string }).origin;
      if (origin === 'string' && issue.code === 'too_big') {
        const last = path[path.length - 1];
        const what = typeof last === 'number' && path.length > 1 ? `item ${last + 1} of \`${String(path[path.length - 2])}\`` : field;
        return [{ ...where(path), message: `${what}: ${issue.message}` }];
      }
      if (origin === 'array' || origin === 'string' || origin === 'set') {
        return [{ ...where(path), message: `${field} ${issue.code === 'too_small' ? (bound === '1' ? 'must not be empty' : `needs at least ${bound} items`) : `has more than ${bound} items`}` }];
      }
      return [{ ...where(path), message: `${field} is ${String(value)}, ${issue.code === 'too_small' ? 'below the minimum' : 'above the maximum'} ${bound}` }];
    }
    case 'invalid_value':
      return [{ ...where(path), message: `${field} should be one of ${issue.values.map((v) => `\`${String(v)}\``).join(', ')}, found ${describeValue(value)}`, ...hint(typeof value === 'string' ? suggest(value, issue.values.map(String), 'value') : undefined) }];
    case 'invalid_key': {
      const key = String(path[path.length - 1] ?? '');
      const flowComma = /[^A-Za-z0-9_]/.test(key) ? FLOW_COMMA_HINT : undefined;
      return [{ ...where(path, true), message: `invalid name \`${key}\`: ${issue.issues[0]?.message ?? issue.message}`, ...hint(flowComma) }];
    }
    case 'invalid_element':
      return [{ ...where(path), message: issue.message }];
    default:
      return [{ ...where(path), message: `${field}: ${issue.message}` }];
  }
}

/**
 * `cameo: 0834` unquoted: YAML reads a number (834, or an octal's value), and the leading zero
 * is lost. One issue that says so and shows the code quoted, as it was typed.
 */
function unquotedCameo(parsed: ParsedFile, at: { file: string; line: number; column: number; path: string }, value: number): Issue {
  const typed = /^[0-9A-Za-z_.+-]+/.exec(parsed.text.split(/\r?\n/)[at.line - 1]?.slice(at.column - 1) ?? '')?.[0] ?? String(value);
  const digits = typed.replace(/^0[ox]/i, '0').replace(/\D/g, '');
  const code = /^\d{2,4}$/.test(digits) ? digits : String(value).padStart(3, '0');
  return { ...at, message: `\`cameo\` is the number ${value} here: YAML reads an unquoted ${typed} as a number${/^0/.test(typed) ? ', without its leading zero' : ''}; a CAMEO code is text`, hint: `quote the code: cameo: "${code}" (\`parley cameo ${code}\` says what it means)` };
}

function hint(text: string | undefined): { hint?: string } {
  return text ? { hint: text } : {};
}
