/**
 * Terminal safety for text that came from a file (a scenario, an exercise, a session, a file
 * name). A terminal obeys the control characters in what it is given: an ESC sequence in a
 * lever's label can clear the screen, retitle the window or write the clipboard (OSC 52), a
 * carriage return can draw over a line, and a bidi override can make text read differently
 * from what it is. Such characters become visible escapes (`\x1b`, `\u202e`) instead; newlines
 * and tabs stay, and `\r\n` becomes `\n`.
 */

/** C0 controls but tab and newline, DEL, C1 controls, and the bidi embeddings, overrides and isolates. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');

function visible(c: string): string {
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/** `text` with every control character but newline and tab (and every bidi control) shown as an escape. */
export function safeText(text: string): string {
  if (!UNSAFE.test(text)) return text;
  return text.replace(/\r\n/g, '\n').replace(UNSAFE_ALL, visible);
}

/**
 * JSON text (from `JSON.stringify`) safe for a terminal with the same meaning: the controls that
 * JSON leaves as they are (DEL, C1, bidi controls; they can only be inside strings) become
 * `\\u` escapes, which every JSON reader decodes back.
 */
export function safeJson(json: string): string {
  return json.replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Whether `text` holds a character that `safeText` would replace. */
export function isSafeText(text: string): boolean {
  return !UNSAFE.test(text);
}

/**
 * `value` with `safeText` applied to every string in it (in arrays, plain objects, maps and
 * sets; functions and other objects are kept as they are). Copy on write: what holds no unsafe
 * text is returned as it is, so a clean value comes back identical, and parts shared in the
 * input (the same lever in two lists) stay shared in the output. `keep` names properties whose
 * values are kept as they are, at any depth (raw text for hashing, paths for reading files).
 */
export function safeDeep<T>(value: T, keep: ReadonlySet<string> = new Set()): T {
  const done = new Map<object, unknown>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return safeText(v);
    if (typeof v !== 'object' || v === null) return v;
    if (done.has(v)) return done.get(v);
    done.set(v, v); // a cycle (there should be none) is left as it is
    let out: unknown = v;
    if (Array.isArray(v)) {
      const items = v.map(walk);
      if (items.some((x, i) => x !== v[i])) out = items;
    } else if (v instanceof Map) {
      const before = [...(v as Map<unknown, unknown>)];
      const entries = before.map(([k, x]) => [walk(k), walk(x)] as const);
      if (entries.some(([k, x], i) => k !== before[i]![0] || x !== before[i]![1])) out = new Map(entries);
    } else if (v instanceof Set) {
      const before = [...(v as Set<unknown>)];
      const items = before.map(walk);
      if (items.some((x, i) => x !== before[i])) out = new Set(items);
    } else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
      let copy: Record<string, unknown> | null = null;
      for (const key of Object.keys(v)) {
        if (keep.has(key)) continue;
        const x = (v as Record<string, unknown>)[key];
        const y = walk(x);
        if (y !== x) (copy ??= Object.assign(Object.create(Object.getPrototypeOf(v)) as Record<string, unknown>, v))[key] = y;
      }
      if (copy) out = copy;
    }
    done.set(v, out);
    return out;
  };
  return walk(value) as T;
}
