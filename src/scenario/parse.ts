/**
 * Reading untrusted YAML or JSON with positions. Everything that can go wrong before the schema
 * is checked (a missing file, a directory, an empty file, bad syntax, duplicate keys, an alias
 * bomb, a file too large, keys that could pollute prototypes) becomes an `Issue` with a place.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTextBounded, ReadFailure } from '../io/read.ts';
import { parsedDir } from '../paths.ts';
import { Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node, type Scalar } from 'yaml';
import { clip, clipQuoted, MAX_ECHO, ScenarioError, type Issue } from './errors.ts';

/** Larger files are refused before parsing: a scenario is a few hundred kilobytes at most. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;
/** Aliases expanded when converting to plain data; more is refused as an alias bomb. */
const MAX_ALIAS_COUNT = 200;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Keys in one mapping: far more than any scenario needs, few enough that every check stays fast. */
export const MAX_KEYS_PER_MAPPING = 2000;
/** Levels of nested mappings and lists (a scenario needs about 8). */
export const MAX_DOCUMENT_DEPTH = 64;
/** Tags whose values are plain text, numbers, true/false, null, lists and mappings. */
const PLAIN_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

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

/**
 * Parses YAML (JSON is a subset of it) from text already in memory. Text that the build parsed
 * already (the bundled scenarios and exercises: `preparse`) is read from its parsed copy, the
 * same data to the bit, and parsed as YAML only if a place in it is asked for.
 */
export function parseDataText(file: string, text: string): ParsedFile {
  const data = parsedCopy(text);
  if (data === undefined) return parseYaml(file, text);
  let full: ParsedFile | null = null;
  return { file, text, data, locate: (path, options) => (full ??= parseYaml(file, text)).locate(path, options) };
}

/** The name of a text's parsed copy: the SHA-256 of its bytes. */
const copyName = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The build's parsed copy of exactly this text, if there is one. */
function parsedCopy(text: string): unknown {
  let json: string;
  try {
    json = readFileSync(join(parsedDir(), `${copyName(text)}.json`), 'utf8');
  } catch {
    return undefined;
  }
  return JSON.parse(json) as unknown;
}

/**
 * For the build: the parsed copy of a file that parses without a problem, named by its text's
 * SHA-256, or null when JSON cannot carry its data exactly (NaN, ±Infinity, -0).
 */
export function preparse(file: string, text: string): { name: string; json: string } | null {
  const { data } = parseYaml(file, text);
  const json = JSON.stringify(data);
  return sameData(JSON.parse(json), data) ? { name: `${copyName(text)}.json`, json } : null;
}

function sameData(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function parseYaml(file: string, text: string): ParsedFile {
  if (text.length > MAX_FILE_BYTES) fail(file, `the text is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
  if (text.trim() === '') fail(file, 'the file is empty', 'a scenario starts with `title:`; see scenarios/README.md');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, strict: true, keepSourceTokens: false });
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
  checkStructure(doc.contents, (node, path, message, hint) => {
    const at = node?.range ? pos(node.range[0]) : { line: 1, column: 1 };
    issues.push({ file, ...at, ...(path.length > 0 ? { path: path.join('.') } : {}), message, ...(hint ? { hint } : {}) });
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
  if (/call stack/i.test(message)) return `the document is nested too deeply to read (at most ${MAX_DOCUMENT_DEPTH} levels of lists and mappings)`;
  return `invalid YAML: ${first.replace(/ at line \d+, column \d+.*$/, '')}`;
}

function fail(file: string, message: string, hint?: string, at?: { line: number; column: number }): never {
  throw new ScenarioError([{ file, ...(at ?? {}), message, ...(hint ? { hint } : {}) }]);
}

type Report = (node: { range?: [number, number, number] | null } | null, path: PathSegment[], message: string, hint?: string) => void;

/**
 * One pass over the document, with an explicit stack (no recursion, however deep the file):
 * duplicate keys (a `Set` per mapping: linear, where the YAML library's own check is
 * quadratic), too many keys in one mapping, nesting too deep, keys that could pollute
 * prototypes, and tags such as `!!binary` whose values are not plain data.
 */
function checkStructure(root: unknown, report: Report): void {
  const stack: { node: unknown; path: PathSegment[]; depth: number }[] = [{ node: root, path: [], depth: 1 }];
  let tooDeep = false;
  while (stack.length > 0) {
    const { node, path, depth } = stack.pop()!;
    if (!isMap(node) && !isSeq(node) && !isScalar(node)) continue;
    const tag = (node as { tag?: string }).tag;
    if (tag !== undefined && !PLAIN_TAGS.has(tag)) {
      report(node, path, `the tag \`${clip(tagName(tag))}\` is not supported`, 'scenario values are plain text, numbers, true/false, lists and mappings: remove the tag');
      continue;
    }
    if (isScalar(node)) continue;
    if (depth > MAX_DOCUMENT_DEPTH) {
      if (!tooDeep) report(node, path, `the document is nested too deeply: more than ${MAX_DOCUMENT_DEPTH} levels of lists and mappings`, 'a scenario needs fewer than 10 levels; check the brackets');
      tooDeep = true;
      continue;
    }
    const children: { node: unknown; path: PathSegment[]; depth: number }[] = [];
    if (isMap(node)) {
      if (node.items.length > MAX_KEYS_PER_MAPPING) {
        report(node, path, `this mapping has ${node.items.length} keys; at most ${MAX_KEYS_PER_MAPPING} are allowed in one mapping`, 'a scenario needs far fewer: split it, or check that the file is the one you meant');
        continue;
      }
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key : null;
        const name = key ? String(key.value) : '';
        if (key) {
          if (seen.has(name)) report(key, [...path, name], 'duplicate key: each key may appear only once in a mapping');
          else if (FORBIDDEN_KEYS.has(name)) report(key, [...path, name], `the key \`${name}\` is not allowed`, 'rename it');
          seen.add(name);
        } else if (isMap(pair.key) || isSeq(pair.key)) {
          report(pair.key, path, 'a key must be a name, not a list or a mapping', 'write `name: value`');
          continue;
        }
        children.push({ node: pair.value, path: [...path, name], depth: depth + 1 });
      }
    } else {
      node.items.forEach((item, index) => children.push({ node: item, path: [...path, index], depth: depth + 1 }));
    }
    // Reversed, so that problems are found in file order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}

/** `tag:yaml.org,2002:binary` → `!!binary`. */
function tagName(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
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

/**
 * Words that begin the rest of a sentence, not an item of its own: an item of a flow list that
 * starts with one (`[reduce strikes, keep aid, and trade]`) was most likely split at a comma.
 */
const CONTINUATIONS = new Set(['and', 'or', 'but', 'nor', 'yet', 'so', 'then', 'which', 'who', 'whom', 'whose', 'where', 'when', 'while', 'whereas', 'including', 'especially', 'notably', 'unless', 'if', 'because', 'though', 'although', 'as', 'than', 'not', 'etc', 'e.g', 'i.e']);

/**
 * Flow lists and mappings (`[a, b]`, `{a: 1}`) whose items look like a sentence split at a
 * comma: an unquoted item that starts with a word such as `and` or `which`, that closes a
 * parenthesis an item before it opened, or that continues a number written with a thousands
 * comma (`[1,000 troops]`). In YAML a comma inside `[…]` or `{…}` always ends an item, so the
 * author meant one item where the file has two. One warning per place, with the text to quote.
 * The text must parse (it has been read with `readDataFile` already).
 */
export function flowCommaPitfalls(file: string, text: string): Issue[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, strict: true, keepSourceTokens: false });
  const issues: Issue[] = [];
  const plain = (node: unknown): node is Scalar<string> & { range: [number, number, number] } => isScalar(node) && node.type === 'PLAIN' && typeof node.value === 'string' && node.range != null;
  const stack: { node: unknown; path: PathSegment[] }[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isMap(node)) {
      for (const pair of node.items) if (isScalar(pair.key)) stack.push({ node: pair.value, path: [...path, String(pair.key.value)] });
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
    }
    if (!(isMap(node) || isSeq(node)) || !node.flow) continue;
    // Pairs of neighbours: a list's items; in a mapping, a key without a value and the value (or
    // key) before it (`{label: Talks, then a deal}` reads `then a deal` as a key with no value).
    const pairs: [unknown, unknown][] = isSeq(node)
      ? node.items.slice(1).map((item, i) => [node.items[i], item])
      : node.items.slice(1).flatMap((pair, i): [unknown, unknown][] => (pair.value === null || (isScalar(pair.value) && pair.value.value === null) ? [[node.items[i]!.value ?? node.items[i]!.key, pair.key]] : []));
    for (const [before, item] of pairs) {
      if (!plain(item) || !plain(before)) continue;
      const first = /^[A-Za-z.]+/.exec(item.value)?.[0]?.toLowerCase() ?? '';
      const opened = (before.value.match(/\(/g)?.length ?? 0) > (before.value.match(/\)/g)?.length ?? 0);
      const why = CONTINUATIONS.has(first.replace(/\.$/, ''))
        ? `starts with \`${first}\``
        : opened && item.value.includes(')')
          ? 'closes a parenthesis the item before it opened'
          : /\d$/.test(before.value) && /^\d{3}\b/.test(item.value)
            ? 'continues a number written with a thousands comma'
            : null;
      if (why === null) continue;
      const { line, col } = lineCounter.linePos(item.range[0]);
      const joined = text.slice(before.range[0], item.range[1]).replace(/\s+/g, ' ');
      issues.push({
        file, line, column: col, path: path.join('.'), severity: 'warning',
        message: clipQuoted(`the item \`${item.value}\` ${why}: it looks like the rest of \`${before.value}\`, split at a comma`),
        hint: `inside \`[…]\` and \`{…}\` a comma always ends an item: if it is one item, quote it: "${clip(joined.replace(/"/g, '\\"'), 4 * MAX_ECHO)}"`,
      });
    }
  }
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
