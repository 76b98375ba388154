// The shared scenario table (scenarios.ts) against a real Fastify server on a loopback port.
import { describeScenarios } from './scenarios.js';
import { startFastify } from './apps/fastify.js';

describeScenarios('fastify', startFastify);
