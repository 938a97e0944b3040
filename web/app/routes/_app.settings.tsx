/** Settings (DESIGN §5; owners and admins): the section navigation around each settings page. */
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { NavLink, Outlet } from '@remix-run/react';
import { PageError } from '../components/page-error';
import { requireManager } from '../utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Settings · Kliovo Inbox' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireManager(request, context);
  return null;
}

const SECTIONS = [
  ['teams', 'Teams and members'],
  ['users', 'Users and roles'],
  ['channels', 'Channels'],
  ['sla', 'SLA policies'],
  ['routing', 'Routing rules'],
  ['canned', 'Canned responses'],
  ['ai', 'AI assistant'],
] as const;

export default function Settings() {
  return (
    <div className="settings-layout">
      <nav className="settings-nav" aria-label="Settings">
        <ul>
          {SECTIONS.map(([path, label]) => (
            <li key={path}>
              <NavLink to={`/settings/${path}`}>{label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <div className="settings-content">
        <Outlet />
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  return <PageError title="Settings could not be shown" />;
}
