// The shared scenario table (scenarios.ts) on Express 4 (the `express4` npm alias of express@4), because the
// peer range keeps 4.x: every answer the table pins for Express 5 holds on Express 4 too.
import express4 from 'express4';
import { expect, it } from 'vitest';
import { describeScenarios } from './scenarios.js';
import { startExpressOn } from './apps/express.js';

it('runs on Express 4 (the version the peer range promises)', async () => {
  const { createRequire } = await import('node:module');
  const version = (createRequire(import.meta.url)('express4/package.json') as { version: string }).version;
  expect(version).toMatch(/^4\./);
});

describeScenarios('express 4', startExpressOn(express4 as unknown as Parameters<typeof startExpressOn>[0]));
