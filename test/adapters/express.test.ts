// The shared scenario table (scenarios.ts) against a real Express server on a loopback port.
import { describeScenarios } from './scenarios.js';
import { startExpress } from './apps/express.js';

describeScenarios('express', startExpress);
