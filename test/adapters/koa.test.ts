// The shared scenario table (scenarios.ts) against a real Koa server on a loopback port.
import { describeScenarios } from './scenarios.js';
import { startKoa } from './apps/koa.js';

describeScenarios('koa', startKoa);
