/**
 * A session file is untrusted input. The scenario or exercise it names is looked for only as a
 * scenario file of that name below the session's folder or the current folder (matched by id and
 * content hash), or bundled; a path the user gives is used as given. A file found that is not the
 * session's is named, never shown; a session's problems are its own (not `--set`'s); sessions are
 * read bounded.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, loadScenario } from '../src/index.ts';
import { createSession } from '../src/play/session.ts';
import { MAX_SESSION_BYTES, readSessionFile, sessionScenario, sessionToJson, type SessionFile } from '../src/play/save.ts';

const BIN = resolve('bin/parley.js');
const MINI = resolve('test/fixtures/mini.yaml');

function parley(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, cwd });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A folder holding one session of mini, with its scenario reference replaced by `scenario`. */
function folderWith(scenario: Partial<SessionFile['scenario']>, exercise?: SessionFile['exercise']): { dir: string; session: string; doc: SessionFile } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-locate-'));
  const doc = { ...sessionToJson(createSession(compile(loadScenario(MINI)), { seed: 5 })) };
  const forged: SessionFile = { ...doc, scenario: { ...doc.scenario, ...scenario }, ...(exercise !== undefined ? { exercise } : {}) };
  const session = join(dir, 'x.session.json');
  writeFileSync(session, JSON.stringify(forged));
  return { dir, session, doc: forged };
}

const SECRETS = 'password: hunter2\napi_token: s3cr3t-value\nroot: x\n';

describe('the scenario a session names', () => {
  it.each([
    ['/etc/passwd', 'passwd'],
    ['../../../etc/passwd', 'passwd'],
    ['/etc/shadow', 'shadow'],
  ])('never reads %s', (file, id) => {
    const { dir } = folderWith({ file, id });
    for (const args of [['play', '--load', 'x.session.json'], ['debrief', 'x.session.json', '--runs', '5']]) {
      const r = parley(args, dir);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`x.session.json: cannot find the session's scenario \`${id}\` (saved as ${file})\n  hint: put ${id}.yaml next to the session file, or say where it is: \`parley play FILE --load …\`, \`parley debrief --scenario FILE …\`\n`);
      expect(r.out).toBe('');
    }
  });

  it('names a local file that is not the scenario, and shows none of it', () => {
    const { dir } = folderWith({ file: '/somewhere/secrets.yaml', id: 'secrets' });
    writeFileSync(join(dir, 'secrets.yaml'), SECRETS);
    const r = parley(['play', '--load', 'x.session.json'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain("secrets.yaml: is not the session's scenario: it does not load as one");
    for (const word of ['hunter2', 'password', 'api_token', 's3cr3t', 'unknown field']) expect(r.err).not.toContain(word);
    // Another scenario under the session's scenario's name is named too, not used.
    const other = folderWith({ file: 'mini.yaml', id: 'other' });
    copyFileSync(MINI, join(other.dir, 'mini.yaml'));
    const o = parley(['debrief', 'x.session.json'], other.dir);
    expect(o.code).toBe(2);
    expect(o.err).toContain("mini.yaml: is not the session's scenario: it is `mini`, the session's is `other`");
  });

  it('does not follow a path elsewhere, even to a real scenario; SCENARIO or --scenario says where it is', () => {
    const { dir } = folderWith({ file: MINI });
    const r = parley(['play', '--load', 'x.session.json'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain("cannot find the session's scenario `mini`");
    const given = parley(['play', MINI, '--load', 'x.session.json'], dir);
    expect(given.code).toBe(0);
    expect(given.out).toContain('# Mini: a played branch');
    expect(parley(['debrief', 'x.session.json', '--runs', '5', '--scenario', MINI], dir).code).toBe(0);
  });

  it('finds the scenario next to the session, below it, or in the current folder, by name and content', () => {
    const { dir, session, doc } = folderWith({ file: 'scen/mini.yaml' });
    const here = mkdtempSync(join(tmpdir(), 'parley-cwd-'));
    // Nowhere yet.
    expect(() => sessionScenario(doc, session)).toThrow(/cannot find the session's scenario `mini`/);
    // Below the session's folder, as saved.
    mkdirSync(join(dir, 'scen'));
    copyFileSync(MINI, join(dir, 'scen', 'mini.yaml'));
    expect(sessionScenario(doc, session).hash).toBe(doc.scenario.hash);
    expect(parley(['play', '--load', session], here).code).toBe(0);
    // In the current folder, by its name alone.
    const alone = folderWith({ file: '/elsewhere/mini.yaml' });
    copyFileSync(MINI, join(here, 'mini.yaml'));
    expect(parley(['play', '--load', alone.session], here).code).toBe(0);
    // Another version of it: the session says so.
    writeFileSync(join(here, 'mini.yaml'), readFileSync(MINI, 'utf8').replace('title: Mini', 'title: Mini 2'));
    const stale = parley(['play', '--load', alone.session], here);
    expect(stale.code).toBe(2);
    expect(stale.err).toContain('the session was saved with another version of scenario `mini`');
  });

  it('opens a session of a bundled scenario by its id', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-bundled-'));
    const doc = sessionToJson(createSession(compile(loadScenario('petro-trump')), { seed: 3 }));
    writeFileSync(join(dir, 'p.session.json'), JSON.stringify({ ...doc, scenario: { ...doc.scenario, file: '/no/such/place/petro-trump.yaml' } }));
    const r = parley(['play', '--load', 'p.session.json'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('`petro-trump`');
  });
});

describe('the exercise a session names', () => {
  it('never reads a path elsewhere, and names a forged exercise next to the session without showing it', () => {
    const exercise = { id: 'passwd', file: '/etc/passwd' };
    const { dir } = folderWith({}, exercise);
    const r = parley(['debrief', 'x.session.json', '--runs', '5'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toBe("x.session.json: cannot find the session's exercise `passwd` (saved as /etc/passwd)\n  hint: put passwd.yaml next to the session file, or say where it is: --exercise FILE\n");
    const forged = folderWith({}, { id: 'ex', file: 'ex.yaml' });
    writeFileSync(join(forged.dir, 'ex.yaml'), `exercise: 1\ntitle: t\nscenario: ${join(forged.dir, 'secrets.yaml')}\n`);
    writeFileSync(join(forged.dir, 'secrets.yaml'), SECRETS);
    const f = parley(['play', '--load', 'x.session.json'], forged.dir);
    expect(f.code).toBe(2);
    expect(f.err).toContain("ex.yaml: is not the session's exercise: it does not load as one");
    for (const word of ['hunter2', 'password', 'api_token', 'unknown field']) expect(f.err).not.toContain(word);
  });

  it('does not wait on a FIFO that a forged exercise next to the session names as its scenario', () => {
    const forged = folderWith({}, { id: 'ex', file: 'ex.yaml' });
    spawnSync('mkfifo', [join(forged.dir, 'pipe.yaml')]);
    writeFileSync(join(forged.dir, 'ex.yaml'), readFileSync('test/fixtures/exercises/mini-deal.yaml', 'utf8').replace('scenario: ../mini.yaml', 'scenario: pipe.yaml'));
    const f = parley(['play', '--load', 'x.session.json'], forged.dir);
    expect(f.code).toBe(2);
    expect(f.err).toContain("ex.yaml: is not the session's exercise: it does not load as one");
  });
});

describe('reading a session', () => {
  it("attributes a bad parameter to the session's params, not to --set", () => {
    const { dir, session, doc } = folderWith({ file: 'mini.yaml' });
    copyFileSync(MINI, join(dir, 'mini.yaml'));
    writeFileSync(session, JSON.stringify({ ...doc, params: { nope: 1 } }));
    const r = parley(['play', '--load', 'x.session.json'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toBe('x.session.json: params: unknown parameter `nope`\n  hint: parameters of mini: push\n');
    writeFileSync(session, JSON.stringify({ ...doc, params: { push: 7 } }));
    expect(parley(['play', '--load', 'x.session.json'], dir).err).toBe('x.session.json: params: push = 7 is outside its range [0, 1]\n');
  });

  it('reads at most 8 MiB, from a file or a device', () => {
    const { dir, session, doc } = folderWith({});
    writeFileSync(session, JSON.stringify({ ...doc, nodes: [...doc.nodes, ...Array.from({ length: MAX_SESSION_BYTES / 20 }, () => ({ parent: 0, steps: [] }))] }));
    expect(() => readSessionFile(session)).toThrow(/x\.session\.json: the file is \d+(\.\d+)? MiB; session files are limited to 8 MiB/);
    const t = Date.now();
    expect(() => readSessionFile('/dev/zero')).toThrow(/\/dev\/zero: the file is larger than 8 MiB; session files are limited to 8 MiB/);
    expect(Date.now() - t).toBeLessThan(5_000);
    expect(parley(['debrief', session], dir).code).toBe(2);
  });

  it('refuses names and paths too long to be real, without echoing them', () => {
    const { session, doc } = folderWith({});
    writeFileSync(session, JSON.stringify({ ...doc, scenario: { ...doc.scenario, file: `${'a'.repeat(100_000)}.yaml` } }));
    expect(() => readSessionFile(session)).toThrow(/scenario\.file: Too big/);
    let message = '';
    try {
      readSessionFile(session);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.length).toBeLessThan(500);
  });
});
