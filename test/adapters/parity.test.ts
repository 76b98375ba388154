// The five stacks must be interchangeable: the whole scenario table, run against Express, Fastify, Koa,
// Hono (on @hono/node-server) and a bare fetch handler (latchkey/fetch), must produce the same statuses, headers, Set-Cookie lines and bodies (random values masked).
import { expect, it } from 'vitest';
import { runScenario, scenarios, type Recorded, type StartApp } from './scenarios.js';
import { startExpress } from './apps/express.js';
import { startFastify } from './apps/fastify.js';
import { startKoa } from './apps/koa.js';
import { startHono } from './apps/hono.js';
import { startFetch } from './apps/fetch.js';

async function runTable(start: StartApp): Promise<Record<string, Recorded[]>> {
  const results: Record<string, Recorded[]> = {};
  for (const scenario of scenarios) results[scenario.name] = await runScenario(start, scenario);
  return results;
}

it('express, fastify, koa, hono and a bare fetch handler answer the whole scenario table identically', async () => {
  const express = await runTable(startExpress);
  const fastify = await runTable(startFastify);
  const koa = await runTable(startKoa);
  const hono = await runTable(startHono);
  const fetchHandler = await runTable(startFetch);
  expect(Object.values(express).flat().length).toBeGreaterThan(100);
  expect(fastify).toEqual(express);
  expect(koa).toEqual(express);
  expect(hono).toEqual(express);
  expect(fetchHandler).toEqual(express);
}, 180_000);
