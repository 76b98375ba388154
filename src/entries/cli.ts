/**
 * The `latchkey` command: `npx latchkey keygen --alg Ed25519|EdDSA|ES256|RS256|HS256 [--kid ID] [--json]`.
 * It imports the core as `latchkey` (the package itself), so the built CLI uses the built library.
 */
import { parseArgs } from 'node:util';
import { exportKey, generateKey, SIGNING_ALGORITHMS, type SigningAlgorithm } from 'latchkey';
import { POSTGRES_USAGE, postgresPruneCommand, postgresSchemaCommand, UsageError } from './cli-postgres.js';

const USAGE = `Usage: latchkey keygen [--alg Ed25519|EdDSA|ES256|RS256|HS256] [--kid ID] [--json]
       latchkey postgres-schema | postgres-prune [options]

Commands:
  keygen    Generate a signing key for createAuth({ keys }) and print it.
${POSTGRES_USAGE}
Options:
  --alg     Signing algorithm (default Ed25519, RFC 9864; EdDSA is the older name
            for the same signature). HS256 makes a 256-bit shared secret.
  --kid     Key id to put in the key (default: derived from the key).
  --json    Print one JSON object { alg, kid, privateJwk, publicJwk, pem } and nothing else.
  --help    Show this help.
`;

interface KeygenArgs {
  alg: SigningAlgorithm;
  kid: string | undefined;
  json: boolean;
}

function isAlgorithm(value: string): value is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

function parseKeygen(args: string[]): KeygenArgs | 'help' {
  let values: { alg?: string | undefined; kid?: string | undefined; json?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: { alg: { type: 'string' }, kid: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return 'help';
  const alg = values.alg ?? 'Ed25519';
  if (!isAlgorithm(alg)) throw new UsageError(`unknown algorithm "${alg}"; use one of ${SIGNING_ALGORITHMS.join(', ')}.`);
  if (values.kid !== undefined && !/^[\x21-\x7e]{1,128}$/.test(values.kid)) {
    throw new UsageError('--kid must be 1 to 128 printable ASCII characters without spaces.');
  }
  return { alg, kid: values.kid, json: values.json ?? false };
}

async function keygen(args: KeygenArgs): Promise<string> {
  const key = await generateKey(args.alg, args.kid === undefined ? {} : { kid: args.kid });
  const { jwk, pem } = await exportKey(key);
  if (args.json) {
    return `${JSON.stringify({ alg: key.alg, kid: key.kid, privateJwk: jwk, publicJwk: key.publicJwk, pem }, null, 2)}\n`;
  }
  const lines = [
    `# latchkey ${key.alg} signing key, kid "${key.kid}"`,
    '',
    '## Private JWK: a secret. Keep it out of git and logs; store it in a secret manager',
    '## or an environment variable such as LATCHKEY_JWK.',
    JSON.stringify(jwk),
  ];
  if (pem !== null) {
    lines.push('', '## The same private key as PKCS#8 PEM, for tools that want PEM (also a secret):', pem.trimEnd());
    // a PEM does not name its algorithm, and bare Ed25519 material imports as the older EdDSA
    if (key.alg === 'Ed25519') lines.push("## A PEM does not carry the algorithm: import it with importKey(pem, { alg: 'Ed25519' }).");
  }
  if (key.publicJwk !== null) {
    lines.push('', '## Public JWK: safe to share; auth.jwks() publishes it for other verifiers.', JSON.stringify(key.publicJwk));
  } else {
    lines.push('', '## HS256 is symmetric: there is no public key, and every verifier needs this secret.');
  }
  lines.push(
    '',
    '## Use it:',
    "##   import { createAuth, importKey } from 'latchkey';",
    '##   const key = await importKey(JSON.parse(process.env.LATCHKEY_JWK));',
    '##   const auth = createAuth({ keys: [key], issuer, audience });',
    '## To rotate, put the new key first in `keys` and keep the old one after it until',
    '## the access tokens it signed have expired (accessToken.ttl), then remove it.',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * Runs the CLI with `argv` (without `node` and the script path) and returns the exit status:
 * 0 on success, 2 on a usage error (unknown command, option or algorithm).
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (command === undefined) throw new UsageError('missing command.');
    if (command === 'postgres-schema') {
      process.stdout.write(await postgresSchemaCommand(rest));
      return 0;
    }
    if (command === 'postgres-prune') {
      process.stdout.write(await postgresPruneCommand(rest, process.env));
      return 0;
    }
    if (command !== 'keygen') throw new UsageError(`unknown command "${command}".`);
    const parsed = parseKeygen(rest);
    if (parsed === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    process.stdout.write(await keygen(parsed));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`latchkey: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`latchkey: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
