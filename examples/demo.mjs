// `npm run demo [-- express|fastify|koa|hono|nestjs]`: starts one example server (default: Express).
const EXAMPLES = ['express', 'fastify', 'koa', 'hono', 'nestjs'];
const name = process.argv[2] ?? 'express';
if (!EXAMPLES.includes(name)) {
  console.error(`npm run demo -- <example>: one of ${EXAMPLES.join(', ')} (examples/nextjs runs with next: see docs/nextjs.md)`);
  process.exit(2);
}
await import(`./${name}/server.mjs`);
