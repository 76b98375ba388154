import { describe, expect, it } from 'vitest';
import { deepFreeze, frozenCopy, thaw } from '../../src/lib/json.js';

describe('frozen JSON values', () => {
  it('frozenCopy is detached from its source and frozen all the way down', () => {
    const source = { a: { b: [1, { c: 'x' }] }, d: undefined, e: new Date(0) };
    const copy = frozenCopy(source) as unknown as { a: { b: [number, { c: string }] }; e: string };
    source.a.b.push(2);
    expect(copy).toEqual({ a: { b: [1, { c: 'x' }] }, e: '1970-01-01T00:00:00.000Z' });
    expect(Object.isFrozen(copy) && Object.isFrozen(copy.a) && Object.isFrozen(copy.a.b) && Object.isFrozen(copy.a.b[1])).toBe(true);
    expect(() => {
      copy.a.b[1].c = 'changed';
    }).toThrow(TypeError);
  });

  it('thaw returns a mutable deep copy that shares nothing with the frozen value', () => {
    const frozen = deepFreeze({ list: [1, 'two', null, { x: false }], nested: { empty: {} }, n: 0.1 + 0.2 });
    const copy = thaw(frozen) as unknown as { list: unknown[]; nested: { empty: object }; n: number };
    expect(copy).toEqual(frozen);
    copy.list.push(5);
    (copy.list[3] as { x: boolean }).x = true;
    copy.nested.empty = { y: 1 };
    expect(frozen).toEqual({ list: [1, 'two', null, { x: false }], nested: { empty: {} }, n: 0.1 + 0.2 });
    expect(Object.isFrozen(copy) || Object.isFrozen(copy.list)).toBe(false);
  });

  it('thaw keeps a "__proto__" key as an own property, as JSON.parse does, and never sets a prototype', () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
    const copy = thaw(deepFreeze(parsed));
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });
});
