// Preload for measuring a node process's peak RSS where GNU time (/usr/bin/time) is missing:
//   BENCH_MAXRSS_FILE=rss.txt node --import ./test/bench/maxrss.mjs dist/cli.js run …
// At exit it writes "maxRSS-KiB user-seconds system-seconds" (like `time -f '%M %U %S'`).
import { writeFileSync } from 'node:fs';

const target = process.env.BENCH_MAXRSS_FILE;
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(target, `${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}\n`);
  });
}
