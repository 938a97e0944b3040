import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import {
  Form,
  Link,
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useNavigation,
  useRouteError,
} from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { z } from 'zod';
import { Time } from '../components/time';
import { requireUser } from '../utils/auth.server';
import { orResponse } from '../utils/http.server';

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: `${loaded?.conversation.contact.name ?? 'Conversation'} · Kliovo Inbox` },
];

const ReplySchema = z.object({
  text: z.string().trim().min(1, 'Write a reply first').max(4096, 'At most 4096 characters'),
});

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const actor = await requireUser(request, context);
  const id = params.conversationId ?? '';
  const [conversation, messages] = await orResponse(
    Promise.all([context.services.inbox.getConversation(actor, id), context.services.inbox.listMessages(actor, id)]),
  );
  return { conversation, messages };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const actor = await requireUser(request, context);
  const parsed = ReplySchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return data({ error: parsed.error.issues[0]?.message ?? 'Check the reply' }, { status: 400 });
  const result = await orResponse(context.services.inbox.reply(actor, params.conversationId ?? '', parsed.data));
  if (result.status === 'failed') return data({ error: `Not sent: ${result.error}` }, { status: 502 });
  return { error: null };
}

export default function ConversationThread() {
  const { conversation, messages } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const sending = useNavigation().state === 'submitting';
  const formRef = useRef<HTMLFormElement>(null);
  const endRef = useRef<HTMLLIElement>(null);

  useEffect(() => {
    if (!sending && !result?.error) formRef.current?.reset();
  }, [sending, result]);
  useEffect(() => {
    // A block body on purpose: newer browsers return a Promise here, and an effect's return
    // value is taken as its cleanup function.
    endRef.current?.scrollIntoView({ block: 'end' });
  }, [messages.data.length]);

  return (
    <section className="thread" aria-labelledby="thread-title">
      <header className="thread-header">
        <Link to=".." relative="path" className="back" aria-label="Back to the list">
          ←
        </Link>
        <div>
          <h2 id="thread-title">{conversation.contact.name}</h2>
          <p className="muted">
            <span className={`channel-badge ${conversation.channel.kind}`}>{conversation.channel.kind}</span>{' '}
            {conversation.channel.name} · {conversation.status}
          </p>
        </div>
      </header>
      <ol className="messages" aria-label="Messages">
        {messages.data.map((m) => (
          <li key={m.id} className={`message ${m.direction} author-${m.authorKind}`}>
            <span className="sr-only">
              {m.direction === 'inbound' ? conversation.contact.name : (m.authorName ?? m.authorKind)}:{' '}
            </span>
            <p className="bubble">{m.body ?? <em>[{m.type} message]</em>}</p>
            <span className="meta">
              {m.direction === 'outbound' ? `${m.authorName ?? m.authorKind} · ` : ''}
              <Time at={m.sentAt} />
              {m.direction === 'outbound' ? <span className={`status status-${m.status}`}> · {m.status}</span> : null}
            </span>
            {m.error ? (
              <span className="message-error" role="note">
                Not delivered: {m.error.reason}
              </span>
            ) : null}
          </li>
        ))}
        <li ref={endRef} aria-hidden="true" />
      </ol>
      <Form method="post" className="composer" ref={formRef}>
        <label htmlFor="reply-text" className="sr-only">
          Reply to {conversation.contact.name}
        </label>
        <textarea id="reply-text" name="text" rows={2} required maxLength={4096} placeholder="Write a reply…" />
        <button type="submit" className="primary" disabled={sending}>
          {sending ? 'Sending…' : 'Send'}
        </button>
        {result?.error ? (
          <p role="alert" className="form-error">
            {result.error}
          </p>
        ) : null}
      </Form>
    </section>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <section className="thread thread-error" role="alert">
      <h2>{notFound ? 'Conversation not found' : 'This conversation could not be shown'}</h2>
      <p className="muted">{notFound ? 'It may not exist, or it is not in your queues.' : 'Please try again.'}</p>
      <Link to="/inbox/all">Back to the inbox</Link>
    </section>
  );
}
