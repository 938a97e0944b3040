/**
 * Input rules for the conversation's signals and updates. Update validators throw (the caller gets
 * the rejection and nothing is written to history); signal checks return a problem so the handler
 * can log and drop the payload (STYLE §3). Pure: no Temporal workflow APIs besides the failure type.
 */
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../shared/errors';
import type { ChannelKind } from '../../activities/channels/types';
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
  type Actor,
  type AddNoteInput,
  type AssignInput,
  type ClaimInput,
  type HandoverInput,
  type ReplyInput,
  type SnoozeInput,
  type TagInput,
} from './contract';
import { closedWindowMessage, replyWindow, templatesAllowed } from './reply-window';
import type { ConversationState } from './state';

const invalid = (message: string) => ApplicationFailure.nonRetryable(message, ErrorType.InvalidInput);

function requireOpened(state: ConversationState | undefined): ConversationState {
  if (!state?.conversationId) {
    throw ApplicationFailure.nonRetryable('the conversation is still opening', ErrorType.NotReady);
  }
  return state;
}

function requireText(value: unknown, what: string, max: number): void {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!text) throw invalid(`${what} needs some text`);
  if (text.length > max) throw invalid(`${what} is at most ${max} characters`);
}

/**
 * A reply is exactly one of a text or a template; a free-form text is refused outside the channel's
 * reply window (DESIGN §3 `reply`) with ReplyWindowClosed, before anything is written. Whether the
 * template exists and is approved is the send activity's check (it reads the synced templates).
 */
export function validateReply(
  state: ConversationState | undefined,
  reply: ReplyInput,
  channel: { kind: ChannelKind; now: number },
): void {
  if (!reply || typeof reply !== 'object') throw invalid('a reply needs some text or a template');
  const hasText = reply.text !== undefined && reply.text !== null;
  const hasTemplate = reply.template !== undefined && reply.template !== null;
  if (hasText === hasTemplate) throw invalid('a reply is either a text or a template, not both');
  if (hasText) requireText(reply.text, 'a reply', MAX_REPLY_LENGTH);
  else validateTemplate(reply.template, channel.kind);
  if (typeof reply.authorUserId !== 'string' || !reply.authorUserId) throw invalid('a reply needs its author');
  const current = requireOpened(state);
  if (hasText) {
    const window = replyWindow(channel.kind, current.lastInboundAt, channel.now);
    const closed = closedWindowMessage(channel.kind, window);
    if (closed) throw ApplicationFailure.nonRetryable(closed, ErrorType.ReplyWindowClosed);
  }
}

/** The shape of WIRE.md §2.2's positional template call; Meta's parameter rules give 132000 otherwise. */
function validateTemplate(template: ReplyInput['template'], kind: ChannelKind): void {
  if (!templatesAllowed(kind)) throw invalid(`${kind} has no message templates; reply with text instead`);
  if (!template || typeof template !== 'object') throw invalid('a template reply needs the template');
  if (typeof template.name !== 'string' || !TEMPLATE_NAME_PATTERN.test(template.name)) {
    throw invalid('a template name is lowercase letters, digits and _');
  }
  if (typeof template.language !== 'string' || !TEMPLATE_LANGUAGE_PATTERN.test(template.language)) {
    throw invalid('a template needs its language code exactly as approved, e.g. en or en_US');
  }
  if (!Array.isArray(template.parameters)) throw invalid('template parameters are a list of texts');
  if (template.parameters.length > MAX_TEMPLATE_PARAMETERS) {
    throw invalid(`a template takes at most ${MAX_TEMPLATE_PARAMETERS} parameters`);
  }
  template.parameters.forEach((p, i) => {
    const what = `template parameter {{${i + 1}}}`;
    if (typeof p !== 'string' || !p.trim()) throw invalid(`${what} needs some text`);
    if (p.length > MAX_TEMPLATE_PARAMETER_LENGTH) {
      throw invalid(`${what} is at most ${MAX_TEMPLATE_PARAMETER_LENGTH} characters`);
    }
    if (/[\r\n\t]| {5,}/.test(p))
      throw invalid(`${what} cannot contain line breaks, tabs or more than 4 spaces in a row`);
  });
}

export function validateAddNote(state: ConversationState | undefined, note: AddNoteInput): void {
  requireText(note?.text, 'a note', MAX_NOTE_LENGTH);
  if (typeof note.authorUserId !== 'string' || !note.authorUserId) throw invalid('a note needs its author');
  requireOpened(state);
}

export function validateClaim(state: ConversationState | undefined, claim: ClaimInput): void {
  if (typeof claim?.userId !== 'string' || !claim.userId) throw invalid('a claim needs the claiming user');
  const current = requireOpened(state);
  if (current.status === 'resolved') {
    throw ApplicationFailure.nonRetryable(
      'the conversation is resolved; reopen it first',
      ErrorType.ConversationResolved,
    );
  }
  if (current.assigneeId && current.assigneeId !== claim.userId && current.assigneeId !== claim.offlineOwnerId) {
    throw ApplicationFailure.nonRetryable('someone else already owns this conversation', ErrorType.AlreadyOwned);
  }
}

export function validateAssign(state: ConversationState | undefined, assign: AssignInput): void {
  if (!assign || (assign.userId == null && assign.teamId == null)) throw invalid('assign to an agent or a team');
  if (assign.userId != null && (typeof assign.userId !== 'string' || !assign.userId)) throw invalid('bad user id');
  if (assign.teamId != null && (typeof assign.teamId !== 'string' || !assign.teamId)) throw invalid('bad team id');
  if (!isActor(assign.by)) throw invalid('an assignment needs who made it');
  const current = requireOpened(state);
  if (assign.onlyIfUnowned && (current.assigneeId !== null || current.status !== 'queued')) {
    throw ApplicationFailure.nonRetryable('the conversation is no longer waiting in the queue', ErrorType.AlreadyOwned);
  }
}

/** Handover needs a target and a reason (DESIGN §3: "records who, to whom and why"). */
export function validateHandover(input: HandoverInput): string | null {
  if (!input || !isActor(input.by)) return 'a handover needs who made it';
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (!reason) return 'a handover needs a reason';
  if (reason.length > MAX_REASON_LENGTH) return `a reason is at most ${MAX_REASON_LENGTH} characters`;
  const to = input.to;
  switch (to?.kind) {
    case 'agent':
      return typeof to.userId === 'string' && to.userId ? null : 'a handover to an agent needs the agent';
    case 'team':
      return typeof to.teamId === 'string' && to.teamId ? null : 'a handover to a team needs the team';
    case 'manager':
    case 'routing':
      return null;
    default:
      return 'a handover needs a target: agent, team, manager or routing';
  }
}

export function validateTags(input: TagInput): string | null {
  if (!input || !isActor(input.by)) return 'tagging needs who did it';
  if (!Array.isArray(input.tags) || input.tags.length === 0) return 'no tags given';
  if (input.tags.length > MAX_TAGS) return `at most ${MAX_TAGS} tags at once`;
  const bad = input.tags.find((t) => typeof t !== 'string' || !t.trim() || t.length > MAX_TAG_LENGTH);
  return bad === undefined ? null : `a tag is 1 to ${MAX_TAG_LENGTH} characters`;
}

export function validateSnooze(input: SnoozeInput): string | null {
  if (!input || !isActor(input.by)) return 'snoozing needs who did it';
  return Number.isFinite(input.until) ? null : 'snooze needs a time';
}

function isActor(actor: Actor | undefined): boolean {
  if (!actor) return false;
  if (actor.kind === 'user') return typeof actor.userId === 'string' && actor.userId.length > 0;
  return actor.kind === 'ai' || actor.kind === 'system';
}
