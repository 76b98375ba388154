// A static guard: secret material is compared only through the constant-time helper (lib/crypto.ts
// safeEqual). It parses every file under src/ with the TypeScript compiler and fails on a plain
// comparison whose operand is named like secret material.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');

/** Words that name secret material when they are the last word of a name (`secretHash`, `refreshToken`, `expected`). */
const SECRET_WORDS = new Set(['secret', 'secrets', 'hash', 'token', 'tokens', 'signature', 'expected', 'mac', 'hmac', 'digest', 'password', 'cookie']);
const EQUALITY = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

function lastWord(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_$]+/)
    .filter(Boolean);
  return (words.at(-1) ?? '').toLowerCase();
}

function nameOf(node: ts.Expression): string | null {
  let inner: ts.Expression = node;
  while (ts.isParenthesizedExpression(inner) || ts.isNonNullExpression(inner) || ts.isAsExpression(inner)) inner = inner.expression;
  if (ts.isIdentifier(inner) || ts.isPrivateIdentifier(inner)) return inner.text;
  if (ts.isPropertyAccessExpression(inner)) return inner.name.text;
  if (ts.isElementAccessExpression(inner) && ts.isStringLiteralLike(inner.argumentExpression)) return inner.argumentExpression.text;
  return null;
}

/** A literal or a `typeof`: comparing a secret with `undefined`, `null`, `''` or a type name leaks nothing. */
function isPublicValue(node: ts.Expression): boolean {
  let inner: ts.Expression = node;
  while (ts.isParenthesizedExpression(inner)) inner = inner.expression;
  return (
    ts.isLiteralExpression(inner) ||
    ts.isNoSubstitutionTemplateLiteral(inner) ||
    ts.isTypeOfExpression(inner) ||
    inner.kind === ts.SyntaxKind.NullKeyword ||
    inner.kind === ts.SyntaxKind.TrueKeyword ||
    inner.kind === ts.SyntaxKind.FalseKeyword ||
    (ts.isIdentifier(inner) && inner.text === 'undefined') ||
    (ts.isPrefixUnaryExpression(inner) && ts.isNumericLiteral(inner.operand))
  );
}

function isSecretNamed(node: ts.Expression): boolean {
  const name = nameOf(node);
  return name !== null && SECRET_WORDS.has(lastWord(name));
}

/** Every non-constant-time comparison of secret material in `source`, as `file:line: code`. */
export function findUnsafeComparisons(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const findings: string[] = [];
  const report = (node: ts.Node): void => {
    const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
    findings.push(`${fileName}:${line}: ${node.getText(file)}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && EQUALITY.has(node.operatorToken.kind)) {
      const { left, right } = node;
      const secretLeft = isSecretNamed(left) && !isPublicValue(right);
      const secretRight = isSecretNamed(right) && !isPublicValue(left);
      if (secretLeft || secretRight) report(node);
    }
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      // `a.equals(b)` (Buffer#equals) and `Buffer.compare` short-circuit on the first differing byte.
      if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'equals') report(node);
      if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'compare' && ts.isIdentifier(callee.expression) && callee.expression.text === 'Buffer') {
        report(node);
      }
      // `switch`-free string ordering on secrets (`secret.localeCompare(x)`) is just as leaky.
      if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'localeCompare' && isSecretNamed(callee.expression)) report(node);
    }
    if (ts.isSwitchStatement(node) && isSecretNamed(node.expression)) report(node.expression);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return findings;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('timing-safe comparison of secrets', () => {
  test('the scanner flags plain comparisons of secret material and passes public ones', () => {
    const unsafe = [
      'if (token === expected) ok();',
      'if (parsed.secret !== expected) fail();',
      'if (sha256(value) == record.secretHash) ok();',
      'if (record.secretHash === sha256(value)) ok();',
      'const same = a.signature === b.signature;',
      'if (Buffer.from(mac).equals(Buffer.from(other))) ok();',
      'if (Buffer.compare(left, right) === 0) ok();',
      'if (hmac(key, msg) != providedMac) fail();',
      'switch (sessionToken) { case x: break; }',
    ];
    for (const code of unsafe) expect(findUnsafeComparisons('fixture.ts', code), code).toHaveLength(1);
    const safe = [
      'if (token === undefined) return;',
      "if (typeof token !== 'string') fail();",
      'if (expected !== null && safeEqual(expected, token)) ok();',
      "if (cookie === '') return;",
      'if (token.length > MAX_TOKEN_LENGTH) fail();',
      'if (stored.version !== expectedVersion) return false;',
      'if (header.alg !== key.alg) fail();',
      'if (!safeEqual(sha256(secret), record.secretHash)) fail();',
    ];
    for (const code of safe) expect(findUnsafeComparisons('fixture.ts', code), code).toEqual([]);
  });

  test('no file under src/ compares a secret, hash, token, signature or MAC with ===, ==, .equals or Buffer.compare', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(10);
    const findings = files.flatMap((path) => findUnsafeComparisons(relative(join(SRC, '..'), path), readFileSync(path, 'utf8')));
    expect(findings).toEqual([]);
  });

  test('safeEqual, the one comparison helper, walks every character with no exit that depends on them', () => {
    // TweetNaCl's crypto_verify construction: XOR each pair into one accumulator, decide after the loop.
    const source = readFileSync(join(SRC, 'lib/crypto.ts'), 'utf8');
    const file = ts.createSourceFile('crypto.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    let fn: ts.FunctionDeclaration | undefined;
    file.forEachChild((node) => {
      if (ts.isFunctionDeclaration(node) && node.name?.text === 'safeEqual') fn = node;
    });
    expect(fn, 'safeEqual is declared in lib/crypto.ts').toBeDefined();
    const loops: ts.ForStatement[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isForStatement(node)) loops.push(node);
      node.forEachChild(visit);
    };
    visit(fn!);
    expect(loops).toHaveLength(1);
    const loop = loops[0]!;
    // the loop runs to the string's length, and its body only accumulates: no if, return, break, ?: or &&/||
    expect(loop.condition?.getText(file)).toMatch(/^i < a\.length$/);
    const exits: string[] = [];
    const inBody = (node: ts.Node): void => {
      if (ts.isIfStatement(node) || ts.isReturnStatement(node) || ts.isBreakStatement(node) || ts.isConditionalExpression(node)) exits.push(node.getText(file));
      if (ts.isBinaryExpression(node) && [ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(node.operatorToken.kind)) exits.push(node.getText(file));
      node.forEachChild(inBody);
    };
    inBody(loop.statement);
    expect(exits).toEqual([]);
    expect(loop.statement.getText(file)).toMatch(/diff \|= a\.charCodeAt\(i\) \^ b\.charCodeAt\(i\)/);
  });
});
