import { HttpError } from '../../../api/http/errors';

/** Service errors become Remix responses that the route's ErrorBoundary renders. */
export async function orResponse<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (HttpError.is(err)) throw new Response(err.message, { status: err.status });
    throw err;
  }
}
