// The load generator for bench/http.mjs, run in its own process (pinned to its own core):
// `node bench/http-load.mjs '<json {url, headers, connections, pipelining, warmup, duration}>'` prints one JSON line.
import autocannon from 'autocannon';

const { url, headers = {}, connections = 100, pipelining = 10, warmup = 1, duration = 5 } = JSON.parse(process.argv[2]);
const run = (seconds) => autocannon({ url, headers, connections, pipelining, duration: seconds });

if (warmup > 0) await run(warmup);
process.stdout.write('measuring\n'); // bench/http.mjs samples the server's CPU time here and when we exit
const result = await run(duration);
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  })}\n`,
);
