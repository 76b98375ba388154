// Machine instructions per request, counted by valgrind: `node bench/instructions.mjs <framework> <variant>...`
//
// Why this exists next to http.mjs and profile.mjs. Timings on the VMs here drift by 1.5x for 10-20 s at a time,
// and a CPU profile samples time, so both blur a difference of a few µs. An instruction count does not drift: each
// variant's server runs under `valgrind --tool=callgrind`, answers N1 and then N2 GET /me requests in two runs, and
// (Ir(N2) - Ir(N1)) / (N2 - N1) is what one more request costs, start-up and JIT compilation cancelled out. It
// counts work, not stalls: cache misses and the write syscalls' kernel time are not in it.
// Needs valgrind (apt-get install -y valgrind). Env: BENCH_INSTR_N1 (default 2000), BENCH_INSTR_N2 (default 6000).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, LABEL } from './http-lib.mjs';
import { freePort, requireBuild, ROOT, startRedis, table } from './lib.mjs';
import { startPostgres } from './postgres-lib.mjs';

requireBuild();
const [framework, ...variants] = process.argv.slice(2);
if (!framework || variants.length === 0) {
  console.error('usage: node bench/instructions.mjs <express|fastify|koa|hono> <variant>...   (e.g. hono bare hash-floor latchkey-cookie)');
  process.exit(2);
}
try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('bench/instructions.mjs needs valgrind: apt-get install -y valgrind');
  process.exit(2);
}
const N1 = Number(process.env.BENCH_INSTR_N1 ?? 2000);
const N2 = Number(process.env.BENCH_INSTR_N2 ?? 6000);
const CONCURRENCY = 8;

/** Total instructions (Ir) of one server that answered `requests` GET /me requests, then exited. */
async function instructions(variant, requests, stores) {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-instr-'));
  const exitOnTerm = join(dir, 'exit.mjs');
  writeFileSync(exitOnTerm, "process.on('SIGTERM', () => process.exit(0));\n"); // so valgrind writes its counts
  const out = join(dir, 'callgrind.out');
  const port = await freePort();
  const server = spawn('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, process.execPath, '--import', exitOnTerm, 'bench/http-server.mjs', framework, variant, String(port), stores.redis?.url ?? '', stores.postgres?.url ?? ''], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    server.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve());
    server.once('exit', (code) => reject(new Error(`${framework}/${variant} exited (${code})`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const headers = { accept: 'application/json', 'user-agent': 'latchkey-bench', ...(await credentials(url, variant)) };
  let left = requests;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (left-- > 0) {
        const res = await fetch(`${url}/me`, { headers });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${variant}: GET /me answered ${res.status}`);
      }
    }),
  );
  await new Promise((resolve) => (server.once('exit', resolve), server.kill('SIGTERM')));
  const totals = /^(?:summary|totals):\s*(\d+)/m.exec(readFileSync(out, 'utf8'));
  if (!totals) throw new Error(`${variant}: no instruction total in ${out}`);
  return Number(totals[1]);
}

const stores = {
  redis: variants.some((v) => v.includes('redis')) ? await startRedis() : null,
  postgres: variants.some((v) => v.includes('postgres')) ? await startPostgres() : null,
};
try {
  const rows = [];
  const perRequest = new Map();
  for (const variant of variants) {
    const low = await instructions(variant, N1, stores);
    const high = await instructions(variant, N2, stores);
    perRequest.set(variant, (high - low) / (N2 - N1));
    process.stderr.write(`  ${variant}: ${Math.round(perRequest.get(variant)).toLocaleString('en-US')} instructions per request\n`);
  }
  const base = perRequest.get('bare');
  for (const [variant, count] of perRequest) {
    rows.push([LABEL[variant] ?? variant, Math.round(count).toLocaleString('en-US'), base ? `${Math.round(count - base).toLocaleString('en-US')}` : '', base ? `${(base / count).toFixed(2)}x` : '']);
  }
  console.log(`\n### ${framework}: instructions per GET /me (valgrind callgrind; (Ir(${N2}) - Ir(${N1})) / ${N2 - N1}; ${CONCURRENCY} keep-alive clients)\n`);
  table(['server', 'instructions per request', 'over bare', 'bare / this'], rows);
} finally {
  await stores.redis?.stop();
  stores.postgres?.stop();
}
