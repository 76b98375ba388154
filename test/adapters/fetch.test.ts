// The shared scenario table (scenarios.ts) against a bare fetch handler (latchkey/fetch) served by @hono/node-server.
import { describeScenarios } from './scenarios.js';
import { startFetch } from './apps/fetch.js';

describeScenarios('fetch', startFetch);
