import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, NavLink, Outlet, useLoaderData } from '@remix-run/react';
import { requireUser } from '../utils/auth.server';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireUser(request, context);
  return { actor };
}

export default function AppLayout() {
  const { actor } = useLoaderData<typeof loader>();
  return (
    <div className="app">
      <header className="topbar">
        <NavLink to="/inbox/all" className="brand">
          Kliovo Inbox
        </NavLink>
        <div className="topbar-user">
          <span>
            {actor.name} <span className="role">{actor.role}</span>
          </span>
          <Form method="post" action="/logout">
            <button type="submit" className="link">
              Sign out
            </button>
          </Form>
        </div>
      </header>
      <Outlet />
    </div>
  );
}
