// POST /api/auth/refresh: rotates the refresh cookie (scoped to this path) -> 200 { accessToken, expiresIn }.
import { lk } from '../../../../lib/auth';

export const POST = (request: Request): Promise<Response> => lk.refresh(request);
