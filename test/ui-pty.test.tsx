import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Runs the real `parley play` in a pseudo-terminal (python3's pty module), waits for the first
// frame, presses keys, quits with q (and with Ctrl-C), and reports what the terminal received.
// CI=true is set on purpose: CI runners set it, and the TUI must still draw every frame.
const DRIVER = String.raw`
import json, os, pty, select, struct, sys, time, fcntl, termios
args = json.loads(sys.argv[1]); keys = json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
    os.execvp(args[0], args)
out = b''
def read_until(pred, timeout):
    global out
    end = time.time() + timeout
    while time.time() < end and not pred(out):
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return False
            if not data:
                return False
            out += data
    return pred(out)
ok = read_until(lambda b: b'PARLEY' in b and b'decides' in b, 20)
time.sleep(0.3)  # raw mode is set just after the first frame
for k in keys:
    n = len(out)
    os.write(fd, k.encode())
    read_until(lambda b: len(b) > n, 2)
    time.sleep(0.15)
read_until(lambda b: False, 0.5) if not keys else None
os.write(fd, b'q' if 'ctrl-c' not in sys.argv else b'\x03')
deadline = time.time() + 10
status = None
while time.time() < deadline:
    try:
        data = os.read(fd, 65536)
        if not data: break
        out += data
    except OSError:
        break
_, st = os.waitpid(pid, 0)
print(json.dumps({'first': ok, 'exit': os.waitstatus_to_exitcode(st), 'out': out.decode('utf-8', 'replace')}))
`;

function drive(keys: string[], ...extra: string[]) {
  const args = [process.execPath, 'bin/parley.js', 'play', 'test/fixtures/mini.yaml', '--seed', '42'];
  const r = spawnSync('python3', ['-c', DRIVER, JSON.stringify(args), JSON.stringify(keys), ...extra], { encoding: 'utf8', timeout: 40_000, env: { ...process.env, TERM: 'xterm-256color', CI: 'true' } });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { first: boolean; exit: number; out: string };
}

describe('parley play in a pseudo-terminal', () => {
  it('opens on the first decision, takes keys, and quits with q: status 0, terminal restored', () => {
    // Enter pulls a lever; the first q asks about the unsaved branch, the second quits.
    const r = drive(['\r', 'q']);
    expect(r.out).toContain('branches not saved');
    expect(r.first).toBe(true);
    expect(r.out).toContain('seed 42');
    expect(r.out).toContain('Alpha decides');
    expect(r.out).toContain('Beta decides');
    expect(r.out).toContain('\u001b[?1049h');
    expect(r.out.lastIndexOf('\u001b[?1049l')).toBeGreaterThan(r.out.lastIndexOf('Beta decides'));
    expect(r.exit).toBe(0);
  });

  it('quits with Ctrl-C with status 0', () => {
    const r = drive([], 'ctrl-c');
    expect(r.first).toBe(true);
    expect(r.out).toContain('\u001b[?1049l');
    expect(r.exit).toBe(0);
  });
});

describe('parley play without a terminal', () => {
  it('prints a seeded run transcript and how to play, and exits 0', () => {
    const r = spawnSync(process.execPath, ['bin/parley.js', 'play', 'test/fixtures/mini.yaml', '--seed', '42'], { encoding: 'utf8' });
    const run = spawnSync(process.execPath, ['bin/parley.js', 'run', 'test/fixtures/mini.yaml', '--seed', '42'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(run.stdout + '(to play interactively, run `parley play test/fixtures/mini.yaml` in a terminal)\n');
  });

  it('prints an exercise with its briefing first and its debrief questions at the end', () => {
    const r = spawnSync(process.execPath, ['bin/parley.js', 'play', '--exercise', 'river-treaty'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Briefing: /);
    expect(r.stdout).toMatch(/\nResult: objective (met|not met) · score \d+ of \d+\n\nDebrief questions:\n1\. /);
    expect(r.stdout.endsWith('(to play interactively, run `parley play --exercise river-treaty` in a terminal)\n')).toBe(true);
  });

  it('rejects a bad role or branch code with status 2 and a clear message', () => {
    const r = spawnSync(process.execPath, ['bin/parley.js', 'play', 'test/fixtures/mini.yaml', '--role', 'zed'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--role: unknown role `zed`');
    const b = spawnSync(process.execPath, ['bin/parley.js', 'play', 'test/fixtures/mini.yaml', '--branch', 'mini:1:default:0=nope'], { encoding: 'utf8' });
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/nope/);
  });
});
