// The three adapters must be interchangeable: the whole scenario table, run against each framework,
// must produce the same statuses, headers, Set-Cookie lines and bodies (random values masked).
import { expect, it } from 'vitest';
import { runScenario, scenarios, type Recorded, type StartApp } from './scenarios.js';
import { startExpress } from './apps/express.js';
import { startFastify } from './apps/fastify.js';
import { startKoa } from './apps/koa.js';

async function runTable(start: StartApp): Promise<Record<string, Recorded[]>> {
  const results: Record<string, Recorded[]> = {};
  for (const scenario of scenarios) results[scenario.name] = await runScenario(start, scenario);
  return results;
}

it('express, fastify and koa answer the whole scenario table identically', async () => {
  const express = await runTable(startExpress);
  const fastify = await runTable(startFastify);
  const koa = await runTable(startKoa);
  expect(Object.values(express).flat().length).toBeGreaterThan(100);
  expect(fastify).toEqual(express);
  expect(koa).toEqual(express);
}, 120_000);
