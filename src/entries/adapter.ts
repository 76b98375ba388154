// latchkey/adapter: the kit for writing a latchkey adapter for another framework (re-exports only).
export { adapterKit, answerError, freshCookies } from '../http/kit.js';
export type { AdapterKit, Answer, Binding, Step } from '../http/kit.js';
export { errorResponse, refreshResponse, requireAuthOptions, requireContext, signOutResponse } from '../http/answers.js';
export type { ErrorResponse, RefreshBody, RequireAuthOptions, SuccessResponse } from '../http/answers.js';
export { JSON_CONTENT_TYPE, readJSONBody, webAnswer } from '../http/web.js';
export { settledValue } from '../lib/settled.js';
export type { WebAnswer } from '../http/web.js';
