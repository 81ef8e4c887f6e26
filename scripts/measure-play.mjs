// Measures the play screen as a person meets it, in a pseudo-terminal (python3's pty module):
//   - time from `npm start` (or `node bin/parley.js play`) to the first frame;
//   - time from a key press to the end of the next frame (pull with Enter, undo with u).
// Prints figures; never fails on a slow machine.  Usage:
//   node scripts/measure-play.mjs [--runs 3] [--keys 20] [--direct] [--size 80x24]
import { spawnSync } from 'node:child_process';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('--runs', '3'));
const keys = Number(arg('--keys', '20'));
const [cols, rows] = arg('--size', '80x24').split('x').map(Number);
const direct = process.argv.includes('--direct');
const command = direct ? [process.execPath, 'bin/parley.js', 'play'] : ['npm', 'start', '--silent'];

const DRIVER = String.raw`
import json, os, pty, select, struct, sys, time, fcntl, termios
cmd, keys, cols, rows = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t0 = time.perf_counter()
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.execvp(cmd[0], cmd)
out = b''
def pump(until, timeout):
    global out
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if until(out): return True
        r, _, _ = select.select([fd], [], [], 0.002)
        if r:
            try: data = os.read(fd, 1 << 16)
            except OSError: return False
            if not data: return False
            out += data
    return until(out)
END = b'\x1b[?2026l'  # end of a synchronised frame
pump(lambda b: b'decides' in b and b.rfind(END) > b.find(b'decides'), 60)
first = time.perf_counter() - t0
time.sleep(0.5)
pump(lambda b: False, 0.2)
lat = []
for i in range(keys):
    key = b'\r' if i % 2 == 0 else b'u'
    n = len(out)
    t = time.perf_counter()
    os.write(fd, key)
    pump(lambda b: b.find(END, n) >= 0, 5)
    lat.append(time.perf_counter() - t)
    time.sleep(0.05)
    pump(lambda b: False, 0.05)
# The first q asks about the unsaved branches; the second quits.
os.write(fd, b'q')
time.sleep(0.3)
os.write(fd, b'q')
while True:
    try:
        data = os.read(fd, 1 << 16)
        if not data: break
    except OSError: break
_, st = os.waitpid(pid, 0)
print(json.dumps({'first': first, 'keys': lat, 'exit': os.waitstatus_to_exitcode(st)}))
`;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${(x * 1000).toFixed(0)} ms`;

const firsts = [];
const lats = [];
for (let i = 0; i < runs; i++) {
  const r = spawnSync('python3', ['-c', DRIVER, JSON.stringify(command), String(keys), String(cols), String(rows)], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(1);
  }
  const m = JSON.parse(r.stdout);
  firsts.push(m.first);
  lats.push(...m.keys);
  process.stdout.write(`run ${i + 1}: first frame ${ms(m.first)}, key→frame median ${ms(median(m.keys))} (Enter ${ms(median(m.keys.filter((_, k) => k % 2 === 0)))}, u ${ms(median(m.keys.filter((_, k) => k % 2 === 1)))}), exit ${m.exit}\n`);
  if (process.argv.includes('--verbose')) process.stdout.write(`  ${m.keys.map((x) => (x * 1000).toFixed(0)).join(' ')}\n`);
}
const sorted = [...lats].sort((a, b) => a - b);
process.stdout.write(`\n${command.join(' ')} at ${cols}×${rows}, ${runs} runs, ${lats.length} key presses (Enter pulls, u undoes)\n`);
process.stdout.write(`first frame: median ${ms(median(firsts))} (min ${ms(Math.min(...firsts))}, max ${ms(Math.max(...firsts))})\n`);
process.stdout.write(`key press → end of next frame: median ${ms(median(lats))}, p90 ${ms(sorted[Math.floor(sorted.length * 0.9)])}, max ${ms(sorted.at(-1))}\n`);
