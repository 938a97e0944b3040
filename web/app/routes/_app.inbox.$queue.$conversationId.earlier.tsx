/**
 * "Load earlier" for a thread (a JSON resource route, fetched by the thread): the next page of
 * older messages with the notes and events that fall between it and what is already shown.
 */
import type { LoaderFunctionArgs } from '@remix-run/node';
import { z } from 'zod';
import { requireUser } from '../utils/auth.server';
import { orResponse, requireParam } from '../utils/http.server';
import type { EarlierData } from './_app.inbox.$queue.$conversationId/thread';

const Query = z.object({
  cursor: z.string().min(1).max(512),
  to: z.iso.datetime({ offset: true }).optional().catch(undefined),
});

/** As many as the thread's first page. */
const PAGE = 50;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const actor = await requireUser(request, context);
  const id = requireParam(params, 'conversationId');
  const query = Query.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) throw new Response('Not a page of this thread', { status: 400 });
  const inbox = context.services.inbox;
  const messages = await orResponse(inbox.listMessages(actor, id, { cursor: query.data.cursor, limit: PAGE }));
  const from = messages.nextCursor ? (messages.data[0]?.sentAt ?? null) : null;
  const side = await orResponse(inbox.threadSide(actor, id, { from, to: query.data.to ?? null }));
  const page: EarlierData = { messages, side: { notes: side.notes, events: side.events } };
  return Response.json(page, { headers: { 'cache-control': 'private, no-store' } });
}
