// The seven stacks must be interchangeable: the whole scenario table, run against Express, Fastify, Koa,
// Hono (on @hono/node-server), a bare fetch handler (latchkey/fetch) and NestJS on its Express and Fastify
// platforms (latchkey/nestjs), must produce the same statuses, headers, Set-Cookie lines and bodies (random values masked).
import { expect, it } from 'vitest';
import { runScenario, scenarios, type Recorded, type StartApp } from './scenarios.js';
import { startExpress } from './apps/express.js';
import { startFastify } from './apps/fastify.js';
import { startKoa } from './apps/koa.js';
import { startHono } from './apps/hono.js';
import { startFetch } from './apps/fetch.js';
import { startNestExpress, startNestFastify } from './apps/nestjs.js';

async function runTable(start: StartApp): Promise<Record<string, Recorded[]>> {
  const results: Record<string, Recorded[]> = {};
  for (const scenario of scenarios) results[scenario.name] = await runScenario(start, scenario);
  return results;
}

it('express, fastify, koa, hono, a bare fetch handler and nestjs on both platforms answer the whole scenario table identically', async () => {
  const express = await runTable(startExpress);
  const fastify = await runTable(startFastify);
  const koa = await runTable(startKoa);
  const hono = await runTable(startHono);
  const fetchHandler = await runTable(startFetch);
  const nestExpress = await runTable(startNestExpress);
  const nestFastify = await runTable(startNestFastify);
  expect(Object.values(express).flat().length).toBeGreaterThan(100);
  expect(fastify).toEqual(express);
  expect(koa).toEqual(express);
  expect(hono).toEqual(express);
  expect(fetchHandler).toEqual(express);
  expect(nestExpress).toEqual(express);
  expect(nestFastify).toEqual(express);
}, 180_000);
