// The load generator for bench/http.mjs, run in its own process (pinned to its own core):
// `node bench/http-load.mjs '<json {url, headers, connections, pipelining, warmup, duration, tool}>'` prints one JSON line.
// tool 'autocannon' (default): autocannon in this process. tool 'wrk': wrk, one thread, no pipelining (the
// set-up issue 17's own measurements used: 50 connections, each waiting for its answer before the next request).
import { spawnSync } from 'node:child_process';

const { url, headers = {}, connections = 100, pipelining = 10, warmup = 1, duration = 5, tool = 'autocannon' } = JSON.parse(process.argv[2]);

async function autocannonRun(seconds) {
  const { default: autocannon } = await import('autocannon');
  const result = await autocannon({ url, headers, connections, pipelining, duration: seconds });
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** Milliseconds from wrk's "1.23ms" / "850.00us" / "1.02s". */
function wrkMillis(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60000 }[m[2]];
}

function wrkRun(seconds) {
  if (pipelining !== 1) throw new Error('wrk runs without pipelining: set BENCH_HTTP_PIPELINING=1');
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  const run = spawnSync('wrk', [...args, url], { encoding: 'utf8' });
  if (run.error) throw new Error(`wrk could not run (${run.error.code}): install it (apt-get install -y wrk)`);
  if (run.status !== 0) throw new Error(`wrk failed: ${run.stderr}`);
  const out = run.stdout;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    requests,
    p50: wrkMillis(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99: wrkMillis(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    errors: socketErrors ? Number(socketErrors[1]) + Number(socketErrors[2]) + Number(socketErrors[3]) : 0,
    timeouts: socketErrors ? Number(socketErrors[4]) : 0,
  };
}

const run = tool === 'wrk' ? wrkRun : autocannonRun;
if (warmup > 0) await run(warmup);
process.stdout.write('measuring\n'); // bench/http.mjs samples the server's CPU time here and when we exit
process.stdout.write(`${JSON.stringify(await run(duration))}\n`);
