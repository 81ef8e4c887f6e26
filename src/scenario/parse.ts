/**
 * Reading untrusted YAML or JSON with positions. Everything that can go wrong before the schema
 * is checked (a missing file, a directory, an empty file, bad syntax, duplicate keys, an alias
 * bomb, a file too large, keys that could pollute prototypes) becomes an `Issue` with a place.
 */
import { readTextBounded, ReadFailure } from '../io/read.ts';
import { Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ScenarioError, type Issue } from './errors.ts';

/** Larger files are refused before parsing: a scenario is a few hundred kilobytes at most. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;
/** Aliases expanded when converting to plain data; more is refused as an alias bomb. */
const MAX_ALIAS_COUNT = 200;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export type PathSegment = string | number;

/** A parsed document: its plain data plus what is needed to point at places in it. */
export interface ParsedFile {
  readonly file: string;
  readonly text: string;
  readonly data: unknown;
  /** Place of the value at `path` (or of its nearest existing ancestor). */
  locate(path: readonly PathSegment[], options?: { key?: boolean; offset?: number }): { line: number; column: number };
}

/** Reads and parses a file; throws `ScenarioError` with every problem found. */
export function readDataFile(file: string): ParsedFile {
  let text: string;
  try {
    text = readTextBounded(file, MAX_FILE_BYTES, 'scenario and exercise files');
  } catch (error) {
    if (!(error instanceof ReadFailure)) throw error;
    const p = error.problem;
    if (p.code === 'ENOENT') fail(file, 'no such file', 'check the path, or run `parley scenarios` for the bundled ids');
    if (p.code === 'EISDIR') fail(file, 'is a directory, not a scenario file', 'give the path of a .yaml or .json file');
    fail(file, p.message, p.hint, p.line !== undefined ? { line: p.line, column: p.column ?? 1 } : undefined);
  }
  return parseDataText(file, text);
}

/** Parses YAML (JSON is a subset of it) from text already in memory. */
export function parseDataText(file: string, text: string): ParsedFile {
  if (text.length > MAX_FILE_BYTES) fail(file, `the text is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
  if (text.trim() === '') fail(file, 'the file is empty', 'a scenario starts with `title:`; see scenarios/README.md');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true, keepSourceTokens: false });
  const pos = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const issues: Issue[] = [];
  for (const error of doc.errors) {
    const { line, column } = pos(error.pos[0]);
    issues.push({ file, line, column, message: yamlMessage(error.code, error.message) });
  }
  if (issues.length > 0) throw new ScenarioError(issues);

  if (!isMap(doc.contents)) {
    const found = doc.contents === null ? 'nothing' : isSeq(doc.contents) ? 'a list' : isScalar(doc.contents) ? `a ${typeof doc.contents.value}` : 'something else';
    const at = doc.contents?.range ? pos(doc.contents.range[0]) : { line: 1, column: 1 };
    fail(file, `expected a mapping of fields at the top level, found ${found}`, 'a scenario starts with `title:`; see scenarios/README.md', at);
  }
  findForbiddenKeys(doc.contents, [], (keyNode, path) => {
    const at = keyNode.range ? pos(keyNode.range[0]) : { line: 1, column: 1 };
    issues.push({ file, ...at, path: path.join('.'), message: `the key \`${String(keyNode.value)}\` is not allowed`, hint: 'rename it' });
  });
  if (issues.length > 0) throw new ScenarioError(issues);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/alias/i.test(message)) fail(file, `too many alias expansions (more than ${MAX_ALIAS_COUNT}); the file looks like an alias bomb`);
    fail(file, `cannot read the document: ${message}`);
  }

  return {
    file,
    text,
    data,
    locate(path, options = {}) {
      const found = nodeAt(doc, path, options.key ?? false);
      const node = found.node;
      if (!node?.range) return { line: 1, column: 1 };
      let offset = node.range[0];
      if (options.offset !== undefined && isScalar(node) && found.exact) {
        if (node.type === 'PLAIN') offset += options.offset;
        else if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') offset += options.offset + 1;
      }
      return pos(offset);
    },
  };
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0] ?? message;
  if (code === 'DUPLICATE_KEY') return 'duplicate key: each key may appear only once in a mapping';
  if (/call stack/i.test(message)) return 'the document is nested too deeply to read';
  return `invalid YAML: ${first.replace(/ at line \d+, column \d+.*$/, '')}`;
}

function fail(file: string, message: string, hint?: string, at?: { line: number; column: number }): never {
  throw new ScenarioError([{ file, ...(at ?? {}), message, ...(hint ? { hint } : {}) }]);
}

function findForbiddenKeys(node: unknown, path: PathSegment[], report: (key: { value: unknown; range?: [number, number, number] | null }, path: PathSegment[]) => void): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key : null;
      const name = key ? String(key.value) : '';
      if (key && FORBIDDEN_KEYS.has(name)) report(key, [...path, name]);
      findForbiddenKeys(pair.value, [...path, name], report);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => findForbiddenKeys(item, [...path, index], report));
  }
}

/** The node at `path`, or the nearest ancestor that exists (`exact` tells which). */
function nodeAt(doc: Document, path: readonly PathSegment[], wantKey: boolean): { node: Node | null; exact: boolean } {
  let node: unknown = doc.contents;
  let keyNode: unknown = null;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return { node: node as Node, exact: false };
      keyNode = pair.key;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      keyNode = null;
      node = node.items[segment];
    } else {
      return { node: (node as Node) ?? null, exact: false };
    }
  }
  if (wantKey && keyNode) return { node: keyNode as Node, exact: true };
  return { node: (node as Node) ?? null, exact: true };
}
