import { memoryStore } from '../../src/entries/index.js';
import { runStoreConformance } from '../../src/entries/testing.js';

// An injected clock: the expiry tests move it instead of sleeping.
let current = Date.UTC(2030, 0, 1);
const now = (): number => current;

runStoreConformance('memory', () => memoryStore({ now }), {
  now,
  advance: async (ms) => {
    current += ms;
  },
});
