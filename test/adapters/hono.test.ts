// The shared scenario table (scenarios.ts) against a real Hono app on @hono/node-server.
import { describeScenarios } from './scenarios.js';
import { startHono } from './apps/hono.js';

describeScenarios('hono', startHono);
