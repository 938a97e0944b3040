/**
 * The thread: customer, agent and AI messages set apart, delivery ticks, private notes, timeline
 * rows and the handover card. Only loaded pages are rendered (the newest 50 first, then "Load
 * earlier" adds 50 at a time), so a 10,000-message thread stays usable.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ConversationListItem, MessageView, NoteView } from '../../../../api/services/inbox.service';
import type { HandoverView } from '../../../../api/services/contacts.service';
import { DeliveryTicks } from '../../components/badges';
import { Time } from '../../components/time';
import { describeEvent, target, type EventRow, type Names } from '../../utils/timeline';

type Side = { notes: NoteView[]; events: EventRow[]; handover: HandoverView | null };
type Page = { data: MessageView[]; nextCursor: string | null };
export type { Names };
export type EarlierData = { messages: Page; side: Omit<Side, 'handover'> };

type Item =
  | { kind: 'message'; at: string; key: string; m: MessageView }
  | { kind: 'note'; at: string; key: string; n: NoteView }
  | { kind: 'event'; at: string; key: string; e: EventRow };

/**
 * Rows that would only repeat what the thread shows: ai_replied is the AI's labelled message;
 * a move to queued/assigned comes with its own assigned/handover row.
 */
function shownEvent(e: EventRow): boolean {
  if (e.type === 'ai_replied') return false;
  if (e.type === 'status_changed') {
    const { from, to } = e.data as { from?: string; to?: string };
    return from === 'snoozed' || to === 'pending' || to === 'snoozed' || to === 'bot';
  }
  return true;
}
const useIsoLayoutEffect = typeof window === 'undefined' ? useEffect : useLayoutEffect;

/**
 * Older pages, fetched once each and kept. A plain fetch rather than a Remix fetcher: older
 * messages never change, so live revalidation has nothing to refetch there, and a fetcher's
 * first load of this (lazily discovered) route could be swallowed by a revalidation that a live
 * event started at the same moment, leaving the button doing nothing.
 */
function useEarlierPages() {
  const [pages, setPages] = useState<EarlierData[]>([]);
  const [loading, setLoading] = useState(false);
  const [failed, setFailed] = useState(false);
  const inFlight = useRef<AbortController | null>(null);
  useEffect(() => () => inFlight.current?.abort(), []);

  const load = useCallback(async (url: string) => {
    if (inFlight.current) return;
    const controller = new AbortController();
    inFlight.current = controller;
    setLoading(true);
    setFailed(false);
    try {
      const res = await fetch(url, { signal: controller.signal, headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const page = (await res.json()) as EarlierData;
      setPages((all) => [...all, page]);
    } catch {
      if (!controller.signal.aborted) setFailed(true);
    } finally {
      if (inFlight.current === controller) inFlight.current = null;
      if (!controller.signal.aborted) setLoading(false);
    }
  }, []);
  return { pages, loading, failed, load };
}

export function Thread({
  conversation,
  messages,
  side,
  queue,
  names,
}: {
  conversation: ConversationListItem;
  messages: Page;
  side: Side;
  queue: string;
  names: Names;
}) {
  const earlier = useEarlierPages();
  const older = earlier.pages;
  const scroller = useRef<HTMLOListElement>(null);
  const nearBottom = useRef(true);
  const lastHeight = useRef(0);
  const prepending = useRef(false);

  const oldestPage = older.length > 0 ? older[older.length - 1]!.messages : messages;
  const cursor = oldestPage.nextCursor;

  // A new older page goes above what the reader sees: keep their place (the layout effect below).
  const shownPages = useRef(0);
  if (older.length !== shownPages.current) {
    shownPages.current = older.length;
    prepending.current = true;
  }

  const items = useMemo(() => {
    const all: Item[] = [];
    const seen = new Set<string>();
    const add = (item: Item) => {
      if (seen.has(item.key)) return;
      seen.add(item.key);
      all.push(item);
    };
    for (const page of [{ messages, side }, ...older]) {
      page.messages.data.forEach((m) => add({ kind: 'message', at: m.sentAt, key: `m:${m.id}`, m }));
      page.side.notes.forEach((n) => add({ kind: 'note', at: n.createdAt, key: `n:${n.id}`, n }));
      page.side.events.filter(shownEvent).forEach((e) => add({ kind: 'event', at: e.at, key: `e:${e.id}`, e }));
    }
    return all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }, [messages, side, older]);

  // Stay at the newest message when it arrives (unless the reader scrolled up); keep the reading
  // position when earlier messages are put above it.
  useIsoLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (prepending.current) {
      el.scrollTop += el.scrollHeight - lastHeight.current;
      prepending.current = false;
    } else if (nearBottom.current) {
      el.scrollTop = el.scrollHeight;
      // Once more after the browser laid out late content (fonts, the composer settling).
      const frame = requestAnimationFrame(() => {
        if (nearBottom.current) el.scrollTop = el.scrollHeight;
      });
      lastHeight.current = el.scrollHeight;
      return () => cancelAnimationFrame(frame);
    }
    lastHeight.current = el.scrollHeight;
  }, [items]);

  const loadEarlier = () => {
    if (!cursor) return;
    const oldest = oldestPage.data[0]?.sentAt ?? '';
    lastHeight.current = scroller.current?.scrollHeight ?? 0;
    void earlier.load(
      `/inbox/${queue}/${conversation.id}/earlier?cursor=${encodeURIComponent(cursor)}&to=${encodeURIComponent(oldest)}`,
    );
  };

  const handoverAt = side.handover ? Date.parse(side.handover.at) : null;
  return (
    <>
      <ol
        className="messages"
        aria-label="Messages"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          nearBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        }}
      >
        {cursor ? (
          <li className="load-earlier">
            <button type="button" className="secondary" onClick={loadEarlier} disabled={earlier.loading}>
              {earlier.loading ? 'Loading…' : 'Load earlier messages'}
            </button>
            {earlier.failed ? (
              <p className="message-error" role="alert">
                Earlier messages could not be loaded. Try again.
              </p>
            ) : null}
          </li>
        ) : (
          <li className="thread-start muted">Start of the conversation</li>
        )}
        {items.map((item) =>
          item.kind === 'message' ? (
            <MessageItem key={item.key} m={item.m} contactName={conversation.contact.name} />
          ) : item.kind === 'note' ? (
            <NoteItem key={item.key} n={item.n} inCard={isCardNote(item.n, handoverAt)} />
          ) : (
            <EventItem key={item.key} e={item.e} names={names} />
          ),
        )}
      </ol>
    </>
  );
}

function MessageItem({ m, contactName }: { m: MessageView; contactName: string }) {
  const who =
    m.direction === 'inbound'
      ? contactName
      : m.authorKind === 'ai'
        ? 'AI assistant'
        : m.authorKind === 'system'
          ? 'System'
          : (m.authorName ?? 'Agent');
  return (
    <li className={`item message ${m.direction} author-${m.authorKind}`}>
      <div className="bubble">
        {m.authorKind === 'ai' ? <span className="ai-label">AI</span> : null}
        <span className="sr-only">{who}: </span>
        {m.body ? <p className="body">{m.body}</p> : <p className="body muted">[{m.type} message]</p>}
      </div>
      <p className="meta">
        {m.direction === 'outbound' ? <span className="who">{who} · </span> : null}
        <Time at={m.sentAt} />
        {m.direction === 'outbound' ? (
          <>
            {' '}
            <DeliveryTicks status={m.status} />
          </>
        ) : null}
      </p>
      {m.error ? (
        <p className="message-error" role="note">
          Not delivered: {m.error.reason}
        </p>
      ) : null}
    </li>
  );
}

/**
 * The private note a handover writes (its reason and summary, DESIGN §3) says what the handover
 * card above the thread says: shown once, in the card, and only marked here.
 */
function isCardNote(n: NoteView, handoverAt: number | null): boolean {
  return (
    handoverAt !== null && n.body.startsWith('Handover: ') && Math.abs(Date.parse(n.createdAt) - handoverAt) < 5000
  );
}

function NoteItem({ n, inCard }: { n: NoteView; inCard: boolean }) {
  return (
    <li className="item note">
      <div className="note-card">
        <p className="note-label">Private note — never sent</p>
        {inCard ? (
          <p className="body muted">Handover details: see the handover card above the thread.</p>
        ) : (
          <p className="body">{n.body}</p>
        )}
        <p className="meta">
          {n.authorName ?? (n.authorKind === 'ai' ? 'AI assistant' : 'System')} · <Time at={n.createdAt} />
        </p>
      </div>
    </li>
  );
}

function EventItem({ e, names }: { e: EventRow; names: Names }) {
  return (
    <li className={`item event event-${e.type}`}>
      <span className="event-text">{describeEvent(e, names)}</span> <Time at={e.at} />
    </li>
  );
}

export function HandoverCard({ handover, names }: { handover: HandoverView; names: Names }) {
  const by = handover.actorName ?? (handover.actorKind === 'ai' ? 'The AI' : 'Automation');
  const ref = useRef<HTMLDetailsElement>(null);
  // On a phone the card starts folded to its title, leaving the screen to the thread.
  useEffect(() => {
    if (ref.current && window.matchMedia('(max-width: 640px)').matches) ref.current.open = false;
  }, [handover.at]);
  return (
    <details className="handover-card" open ref={ref}>
      <summary>
        <h3>
          Handover from {by} to {target(handover.to, names)}
        </h3>
      </summary>
      <dl>
        {handover.reason ? (
          <>
            <dt>Reason</dt>
            <dd>{handover.reason}</dd>
          </>
        ) : null}
        {handover.summary ? (
          <>
            <dt>Summary</dt>
            <dd>{handover.summary}</dd>
          </>
        ) : null}
        {handover.intent ? (
          <>
            <dt>Intent</dt>
            <dd>{handover.intent.replace(/_/g, ' ')}</dd>
          </>
        ) : null}
        {handover.urgency ? (
          <>
            <dt>Urgency</dt>
            <dd>
              <span className={`urgency urgency-${handover.urgency}`}>{handover.urgency}</span>
            </dd>
          </>
        ) : null}
      </dl>
      <p className="meta">
        <Time at={handover.at} />
      </p>
    </details>
  );
}
