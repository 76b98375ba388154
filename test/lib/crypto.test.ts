import { describe, expect, it } from 'vitest';
import { safeEqual, sha256 } from '../../src/lib/crypto.js';

describe('safeEqual', () => {
  const hash = sha256('secret');

  it('is true only for equal strings, short and long', () => {
    expect(safeEqual(hash, sha256('secret'))).toBe(true);
    expect(safeEqual(hash, `${hash.slice(0, -1)}${hash.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(safeEqual(`X${hash.slice(1)}`, hash)).toBe(false);
    const long = 'x'.repeat(500);
    expect(safeEqual(long, 'x'.repeat(500))).toBe(true);
    expect(safeEqual(long, `${'x'.repeat(499)}y`)).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });

  it('refuses strings of different lengths, whichever path each takes', () => {
    expect(safeEqual(hash, hash.slice(0, 42))).toBe(false);
    expect(safeEqual(hash.slice(0, 42), hash)).toBe(false);
    expect(safeEqual('a'.repeat(64), 'a'.repeat(65))).toBe(false);
    expect(safeEqual('a'.repeat(65), 'a'.repeat(64))).toBe(false);
    expect(safeEqual('abc', '')).toBe(false);
  });

  it('compares characters, not truncated bytes: non-ASCII strings never collide with ASCII ones', () => {
    expect(safeEqual('\u0101', '\u0001')).toBe(false); // same low byte
    expect(safeEqual('é', 'e\u0301')).toBe(false); // same glyph, other code points
    expect(safeEqual('🔑'.repeat(32), '🔑'.repeat(32))).toBe(true); // 64 units, 128 UTF-8 bytes
    expect(safeEqual('🔑'.repeat(32), '🔒'.repeat(32))).toBe(false);
    expect(safeEqual('ÿ'.repeat(64), '\u00ff'.repeat(64))).toBe(true);
  });

  it('a shorter comparison after a longer one reads only its own bytes', () => {
    expect(safeEqual('abcdefgh', 'abcdefgX')).toBe(false);
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abcdefgh', 'abcdefgh')).toBe(true);
    expect(safeEqual('abd', 'abc')).toBe(false);
  });
});

describe('safeEqual on long secrets', () => {
  it('compares tokens up to the longest accepted (8192 characters) and beyond', () => {
    const token = 'e'.repeat(8192);
    expect(safeEqual(token, 'e'.repeat(8192))).toBe(true);
    expect(safeEqual(token, `${'e'.repeat(8191)}f`)).toBe(false);
    expect(safeEqual(`${token}x`, `${token}x`)).toBe(true);
    expect(safeEqual(`${token}x`, `${token}y`)).toBe(false);
    expect(safeEqual('€'.repeat(8192), '€'.repeat(8192))).toBe(true); // 24,576 UTF-8 bytes
  });
});
