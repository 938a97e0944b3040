/**
 * /api/v1/conversations (DESIGN §5): the list, one conversation, its thread, timeline, notes and
 * live state, and the agent actions. Actions that are signals answer 202 `{ data: { accepted } }`
 * (the workflow decides and projects); updates answer with their result.
 */
import { Router } from 'express';
import { z } from 'zod';
import {
  MAX_NOTE_LENGTH,
  MAX_REASON_LENGTH,
  MAX_REPLY_LENGTH,
  MAX_TAGS,
  MAX_TAG_LENGTH,
  MAX_TEMPLATE_PARAMETERS,
  MAX_TEMPLATE_PARAMETER_LENGTH,
  TEMPLATE_LANGUAGE_PATTERN,
  TEMPLATE_NAME_PATTERN,
} from '../../../workflows/conversation/contract';
import { handle } from '../../http/handle';
import type { InboxService } from '../../services/inbox.service';
import type { ActorOf } from './actor';
import { idParams, pageQuery } from './schemas';

const listQuery = pageQuery.extend({
  queue: z
    .union([
      z.enum(['all', 'mine', 'unassigned', 'escalated']),
      z.templateLiteral(['team:', z.uuid('not a valid team id')]),
    ])
    .default('all'),
  status: z.enum(['open', 'any', 'bot', 'queued', 'assigned', 'pending', 'snoozed', 'resolved']).optional(),
  channel: z.enum(['whatsapp', 'messenger', 'instagram']).optional(),
  q: z.string().trim().max(100).optional(),
});
const replyBody = z.union([
  z.object({
    text: z.string('a reply needs some text').trim().min(1, 'a reply needs some text').max(MAX_REPLY_LENGTH),
  }),
  z.object({
    template: z.object({
      name: z.string().regex(TEMPLATE_NAME_PATTERN, 'not a template name'),
      language: z.string().regex(TEMPLATE_LANGUAGE_PATTERN, 'not a language code'),
      parameters: z
        .array(z.string().min(1).max(MAX_TEMPLATE_PARAMETER_LENGTH))
        .max(MAX_TEMPLATE_PARAMETERS)
        .default([]),
    }),
  }),
]);
const noteBody = z.object({
  text: z.string('a note needs some text').trim().min(1, 'a note needs some text').max(MAX_NOTE_LENGTH),
});
const assignBody = z
  .object({ userId: z.uuid('not a valid user id').optional(), teamId: z.uuid('not a valid team id').optional() })
  .refine((b) => b.userId !== undefined || b.teamId !== undefined, 'assign to a user, a team, or both');
const handoverBody = z.object({
  to: z.discriminatedUnion(
    'kind',
    [
      z.object({ kind: z.literal('agent'), userId: z.uuid('not a valid user id') }),
      z.object({ kind: z.literal('team'), teamId: z.uuid('not a valid team id') }),
      z.object({ kind: z.literal('manager') }),
      z.object({ kind: z.literal('routing') }),
    ],
    'hand over to an agent, a team, a manager or routing',
  ),
  reason: z
    .string('a handover needs a reason')
    .trim()
    .min(1, 'a handover needs a reason')
    .max(MAX_REASON_LENGTH, `a reason is at most ${MAX_REASON_LENGTH} characters`),
  note: z.string().trim().max(MAX_NOTE_LENGTH).optional(),
});
const tag = z.string().trim().min(1, 'a tag needs some text').max(MAX_TAG_LENGTH);
const tagsBody = z
  .object({ add: z.array(tag).max(MAX_TAGS).optional(), remove: z.array(tag).max(MAX_TAGS).optional() })
  .refine((b) => (b.add?.length ?? 0) + (b.remove?.length ?? 0) > 0, 'give tags to add or remove');
const snoozeBody = z.object({
  until: z.iso.datetime({ offset: true, error: 'an ISO date and time, e.g. 2026-03-01T09:00:00Z' }),
});

export function createConversationsRouter({ inbox, actorOf }: { inbox: InboxService; actorOf: ActorOf }): Router {
  const router = Router();

  router.get(
    '/',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json(await inbox.listConversations(actor, listQuery.parse(req.query)));
    }),
  );

  router.get(
    '/:id',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json({ data: await inbox.getConversation(actor, idParams.parse(req.params).id) });
    }),
  );

  router.get(
    '/:id/messages',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json(await inbox.listMessages(actor, idParams.parse(req.params).id, pageQuery.parse(req.query)));
    }),
  );

  router.post(
    '/:id/messages',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      const { id } = idParams.parse(req.params);
      const result = await inbox.reply(actor, id, replyBody.parse(req.body ?? {}));
      // 201 either way: the message exists; a provider refusal shows as status 'failed' with the reason.
      res.status(201).json({ data: result });
    }),
  );

  router.get(
    '/:id/events',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json(await inbox.listEvents(actor, idParams.parse(req.params).id));
    }),
  );

  router.get(
    '/:id/notes',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json(await inbox.listNotes(actor, idParams.parse(req.params).id, pageQuery.parse(req.query)));
    }),
  );

  router.post(
    '/:id/notes',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      const { id } = idParams.parse(req.params);
      res.status(201).json({ data: await inbox.addNote(actor, id, noteBody.parse(req.body ?? {})) });
    }),
  );

  router.get(
    '/:id/state',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json({ data: await inbox.state(actor, idParams.parse(req.params).id) });
    }),
  );

  router.post(
    '/:id/claim',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json({ data: await inbox.claim(actor, idParams.parse(req.params).id) });
    }),
  );

  router.post(
    '/:id/assign',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      const { id } = idParams.parse(req.params);
      res.json({ data: await inbox.assign(actor, id, assignBody.parse(req.body ?? {})) });
    }),
  );

  router.post(
    '/:id/handover',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      const { id } = idParams.parse(req.params);
      res.status(202).json({ data: await inbox.handover(actor, id, handoverBody.parse(req.body ?? {})) });
    }),
  );

  router.post(
    '/:id/tags',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      const { id } = idParams.parse(req.params);
      res.status(202).json({ data: await inbox.tag(actor, id, tagsBody.parse(req.body ?? {})) });
    }),
  );

  router.post(
    '/:id/snooze',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      const { id } = idParams.parse(req.params);
      res.status(202).json({ data: await inbox.snooze(actor, id, snoozeBody.parse(req.body ?? {})) });
    }),
  );

  router.post(
    '/:id/resolve',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.status(202).json({ data: await inbox.resolve(actor, idParams.parse(req.params).id) });
    }),
  );

  router.post(
    '/:id/reopen',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.status(202).json({ data: await inbox.reopen(actor, idParams.parse(req.params).id) });
    }),
  );

  return router;
}
