/** The body of a page's ErrorBoundary: what went wrong in words, never a stack trace. */
import { Link, isRouteErrorResponse, useRouteError } from '@remix-run/react';

export function PageError({ title }: { title: string }) {
  const error = useRouteError();
  const response = isRouteErrorResponse(error) ? error : null;
  const heading =
    response?.status === 404
      ? 'Not found'
      : response?.status === 403
        ? 'Only owners and admins can open this page'
        : title;
  return (
    <div className="error-page" role="alert">
      <h1>{heading}</h1>
      <p className="muted">
        {response && typeof response.data === 'string' && response.status < 500 ? response.data : 'Please try again.'}
      </p>
      <Link to="/inbox">Back to the inbox</Link>
    </div>
  );
}
