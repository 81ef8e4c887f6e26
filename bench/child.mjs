// Runs one `parley` command in this process and reports its peak memory (worker threads
// included: they share the process) to the file named by PARLEY_BENCH_REPORT.
import { writeFileSync } from 'node:fs';

const { main } = await import(new URL('../dist/cli.js', import.meta.url).href);
const code = await main(process.argv.slice(2));
const usage = process.resourceUsage();
writeFileSync(process.env.PARLEY_BENCH_REPORT, JSON.stringify({ code, maxRssKiB: usage.maxRSS }));
process.exitCode = code;
