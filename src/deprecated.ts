// The adapter plumbing that lived in the root until 0.1.0 and moved to 'latchkey/adapter' in 0.2.
// These root aliases stay for one minor version (they go in 0.3). Each calls the kit's function when
// it is called, never while the module loads, so the root and 'latchkey/adapter' may load in any order.
// Named imports, not a namespace: a CJS namespace copy taken while the modules load in a cycle would be empty.
import type * as kit from 'latchkey/adapter';
import {
  errorResponse as kitErrorResponse,
  refreshResponse as kitRefreshResponse,
  requireAuthOptions as kitRequireAuthOptions,
  requireContext as kitRequireContext,
  signOutResponse as kitSignOutResponse,
} from 'latchkey/adapter';

/** @deprecated Import `ErrorResponse` from 'latchkey/adapter'; the root alias goes in 0.3. */
export type ErrorResponse = kit.ErrorResponse;
/** @deprecated Import `SuccessResponse` from 'latchkey/adapter'; the root alias goes in 0.3. */
export type SuccessResponse<Body> = kit.SuccessResponse<Body>;
/** @deprecated Import `RequireAuthOptions` from 'latchkey/adapter'; the root alias goes in 0.3. */
export type RequireAuthOptions = kit.RequireAuthOptions;

/**
 * @deprecated Import `errorResponse` from 'latchkey/adapter'; the root alias goes in 0.3.
 * @example
 * import { errorResponse } from 'latchkey/adapter';
 */
export const errorResponse: typeof kitErrorResponse = (error) => kitErrorResponse(error);

/**
 * @deprecated Import `refreshResponse` from 'latchkey/adapter'; the root alias goes in 0.3.
 * @example
 * import { refreshResponse } from 'latchkey/adapter';
 */
export const refreshResponse: typeof kitRefreshResponse = (result) => kitRefreshResponse(result);

/**
 * @deprecated Import `signOutResponse` from 'latchkey/adapter'; the root alias goes in 0.3.
 * @example
 * import { signOutResponse } from 'latchkey/adapter';
 */
export const signOutResponse: typeof kitSignOutResponse = (result) => kitSignOutResponse(result);

/**
 * @deprecated Import `requireAuthOptions` from 'latchkey/adapter'; the root alias goes in 0.3.
 * @example
 * import { requireAuthOptions } from 'latchkey/adapter';
 */
export const requireAuthOptions: typeof kitRequireAuthOptions = (options) => kitRequireAuthOptions(options);

/**
 * @deprecated Import `requireContext` from 'latchkey/adapter'; the root alias goes in 0.3.
 * @example
 * import { requireContext } from 'latchkey/adapter';
 */
export const requireContext: typeof kitRequireContext = (resolution, options) => kitRequireContext(resolution, options);
