// latchkey with NestJS: starts app.ts through tsx (esbuild), with this folder's tsconfig.json: experimentalDecorators,
// and no `paths`, so 'latchkey' and 'latchkey/nestjs' load the built package (dist/) as the other examples do.
// Run: npm run demo -- nestjs   (or: npx tsup && node examples/nestjs/server.mjs)
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) });
await import('./app.ts');
