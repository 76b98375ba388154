// latchkey/testing: the store conformance suite for store authors, and signInAs for app tests (re-exports only).
export { runStoreConformance, storeConformanceCases } from '../testing/conformance.js';
export type { ConformanceCase, StoreConformanceOptions, TestRunner } from '../testing/conformance.js';
export { signInAs } from '../testing/sign-in-as.js';
export type { SignedInAs } from '../testing/sign-in-as.js';
