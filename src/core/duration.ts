// The one Duration form every option takes (createAuth and the stores), and the option error helper
// (the other option checks are in option-kit.ts).
/** A duration: a number of seconds, or a string such as `'500ms'`, `'15m'`, `'10s'`, `'30d'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd' | 'w'}`;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Throws the TypeError every option check throws: `latchkey: <message>`. */
export function fail(message: string): never {
  throw new TypeError(`latchkey: ${message}`);
}

/** Parses a Duration into milliseconds; throws a TypeError naming the option when it is not one. */
export function parseDuration(value: unknown, name = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.round(value * 1000);
  } else if (typeof value === 'string') {
    const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(value.trim());
    if (match) return Math.round(Number(match[1]) * UNITS[match[2]!]!);
  }
  return fail(`${name} must be a duration such as '15m', '10s' or a number of seconds (got ${JSON.stringify(value)}).`);
}
