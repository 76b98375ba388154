// latchkey/testing: the store conformance suite for store authors (re-exports only).
export { runStoreConformance, storeConformanceCases } from '../testing/conformance.js';
export type { ConformanceCase, StoreConformanceOptions, TestRunner } from '../testing/conformance.js';
