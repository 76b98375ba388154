// latchkey/adapter: the kit for writing a latchkey adapter for another framework (re-exports only).
export { adapterKit, answerError, freshCookies } from './kit.js';
export type { AdapterKit, Answer, Binding, Step } from './kit.js';
export { errorResponse, refreshResponse, requireAuthOptions, requireContext, signOutResponse } from './http.js';
export type { ErrorResponse, RefreshBody, RequireAuthOptions, SuccessResponse } from './http.js';
export { JSON_CONTENT_TYPE, readJSONBody, webAnswer } from './web.js';
export { settledValue } from '../lib/settled.js';
export type { WebAnswer } from './web.js';
