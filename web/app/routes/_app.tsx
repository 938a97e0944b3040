/**
 * The signed-in layout: the top bar and main navigation on desktop, a five-tab bottom navigation
 * on phones (DESIGN §5), the live-update connection that keeps every page current, and toasts.
 */
import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, NavLink, Outlet, useLoaderData, useLocation, useRevalidator } from '@remix-run/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Icon } from '../components/icons';
import { ServerNowContext } from '../components/now';
import { Toasts, type Toast } from '../components/ui';
import { requireUser } from '../utils/auth.server';
import { isManagerRole } from '../utils/http.server';
import { useLiveEvents, type LiveEvent } from '../utils/live';

/** Notification kinds that pop up as a toast (DESIGN §5): the ones that ask someone to act. */
const TOAST_KINDS = new Set(['handover', 'escalation', 'assigned']);
const MAX_TOASTS = 4;
/** A live event's revalidation: this soon after the event, and at least this long after the last one. */
const LIVE_DELAY_MS = 100;
const LIVE_MIN_GAP_MS = 1_000;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireUser(request, context);
  const { unreadCount, availability } = await context.services.inbox.signedInStatus(actor, { upTo: 100 });
  return {
    actor,
    isManager: isManagerRole(actor),
    unreadCount,
    availability,
    serverNow: Date.now(),
  };
}

export default function AppLayout() {
  const { actor, isManager, unreadCount, availability, serverNow } = useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  // Bursts of events (a reply is a message and a conversation change; a busy inbox has many)
  // become one revalidation at a time, never one aborting another. The first after a quiet spell
  // goes out within 100 ms; while events keep coming, at most one a second: with every agent's
  // page open during a rush, the server's load follows the number of agents, not agents × events.
  const latest = useRef(revalidator);
  latest.current = revalidator;
  const scheduled = useRef(false);
  const again = useRef(false);
  const lastStarted = useRef(0);
  const revalidateSoon = useCallback(() => {
    if (scheduled.current) return;
    scheduled.current = true;
    const delay = Math.max(LIVE_DELAY_MS, lastStarted.current + LIVE_MIN_GAP_MS - Date.now());
    pending.current = setTimeout(() => {
      scheduled.current = false;
      if (latest.current.state !== 'idle') {
        again.current = true;
        return;
      }
      lastStarted.current = Date.now();
      // A navigation may still supersede it (it then rejects with AbortError): nothing to report.
      Promise.resolve(latest.current.revalidate()).catch(() => undefined);
    }, delay);
  }, []);
  useEffect(() => {
    if (revalidator.state === 'idle' && again.current) {
      again.current = false;
      revalidateSoon();
    }
  }, [revalidator.state, revalidateSoon]);
  useEffect(() => () => clearTimeout(pending.current), []);

  const live = useLiveEvents((event: LiveEvent) => {
    revalidateSoon();
    if (event.type === 'notification' && TOAST_KINDS.has(event.kind)) {
      setToasts((all) =>
        [
          ...all,
          {
            id: event.notificationId,
            kind: event.kind,
            title: event.title,
            body: event.body,
            href: event.conversationId ? `/inbox/all/${event.conversationId}` : null,
          },
        ].slice(-MAX_TOASTS),
      );
    }
  });
  const dismiss = useCallback((id: string) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const badge = unreadCount > 99 ? '99+' : String(unreadCount);
  const { pathname } = useLocation();
  // Inbox and Mine are two tabs over one route: Inbox is current everywhere in it except Mine.
  const inboxTab = pathname.startsWith('/inbox') && !pathname.startsWith('/inbox/mine');

  return (
    <ServerNowContext.Provider value={serverNow}>
      <div className="app">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="topbar">
          <Link to="/inbox" className="brand">
            Kliovo Inbox
          </Link>
          <nav className="main-nav" aria-label="Main">
            <ul>
              <li>
                <NavLink to="/inbox">Inbox</NavLink>
              </li>
              <li>
                <NavLink to="/contacts">Contacts</NavLink>
              </li>
              <li>
                <NavLink to="/alerts">
                  Alerts
                  {unreadCount > 0 ? (
                    <span className="count-badge" aria-label={`${badge} unread`}>
                      {badge}
                    </span>
                  ) : null}
                </NavLink>
              </li>
              {isManager ? (
                <>
                  <li>
                    <NavLink to="/dashboard">Dashboard</NavLink>
                  </li>
                  <li>
                    <NavLink to="/settings">Settings</NavLink>
                  </li>
                </>
              ) : null}
            </ul>
          </nav>
          <div className="topbar-user">
            <span
              className={`live-dot live-${live}`}
              role="img"
              aria-label={live === 'open' ? 'Live updates on' : 'Live updates reconnecting'}
              title={live === 'open' ? 'Live updates on' : 'Live updates reconnecting'}
            />
            <NavLink to="/me" className="me-link">
              <span className={`presence presence-${availability}`} aria-hidden="true" />
              {actor.name} <span className="role">{actor.role}</span>
              <span className="sr-only">, {availability}</span>
            </NavLink>
            <Form method="post" action="/logout">
              <button type="submit" className="link">
                Sign out
              </button>
            </Form>
          </div>
        </header>
        <main id="main" className="app-main">
          <Outlet />
        </main>
        <nav className="tabbar" aria-label="Tabs">
          <ul>
            <li>
              <Link to="/inbox" className={tabClass(inboxTab)} aria-current={inboxTab ? 'page' : undefined}>
                <Icon name="inbox" />
                Inbox
              </Link>
            </li>
            <li>
              <NavLink to="/inbox/mine" className={({ isActive }) => tabClass(isActive)}>
                <Icon name="mine" />
                Mine
              </NavLink>
            </li>
            <li>
              <NavLink to="/alerts" className={({ isActive }) => tabClass(isActive)}>
                <Icon name="alerts" />
                Alerts
                {unreadCount > 0 ? (
                  <span className="count-badge" aria-label={`${badge} unread`}>
                    {badge}
                  </span>
                ) : null}
              </NavLink>
            </li>
            <li>
              {isManager ? (
                <NavLink to="/dashboard" className={({ isActive }) => tabClass(isActive)}>
                  <Icon name="dashboard" />
                  Dashboard
                </NavLink>
              ) : (
                <NavLink to="/contacts" className={({ isActive }) => tabClass(isActive)}>
                  <Icon name="contacts" />
                  Contacts
                </NavLink>
              )}
            </li>
            <li>
              <NavLink to="/me" className={({ isActive }) => tabClass(isActive)}>
                <Icon name="me" />
                Me
              </NavLink>
            </li>
          </ul>
        </nav>
        <Toasts toasts={toasts} dismiss={dismiss} />
      </div>
    </ServerNowContext.Provider>
  );
}

const tabClass = (active: boolean) => (active ? 'tab active' : 'tab');
