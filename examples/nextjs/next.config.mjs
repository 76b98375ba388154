import { fileURLToPath } from 'node:url';

/** @type {import('next').NextConfig} */
export default {
  // latchkey and node_modules live in the repository root, above this example.
  turbopack: { root: fileURLToPath(new URL('../..', import.meta.url)) },
  outputFileTracingRoot: fileURLToPath(new URL('../..', import.meta.url)),
};
