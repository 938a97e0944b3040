/**
 * The inbox search attributes of DESIGN §3, registered at dev-server start (scripts/lib/temporal-server.ts)
 * and in docker-compose. Values are ids and enums only: never phone numbers or message text.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const INBOX_STATUS = defineSearchAttributeKey('InboxStatus', SearchAttributeType.KEYWORD);
export const INBOX_TEAM = defineSearchAttributeKey('InboxTeam', SearchAttributeType.KEYWORD);
export const INBOX_ASSIGNEE = defineSearchAttributeKey('InboxAssignee', SearchAttributeType.KEYWORD);
export const INBOX_CHANNEL = defineSearchAttributeKey('InboxChannel', SearchAttributeType.KEYWORD);
export const INBOX_ESCALATION = defineSearchAttributeKey('InboxEscalation', SearchAttributeType.INT);
export const INBOX_WAITING_SINCE = defineSearchAttributeKey('InboxWaitingSince', SearchAttributeType.DATETIME);
export const INBOX_PRIORITY = defineSearchAttributeKey('InboxPriority', SearchAttributeType.KEYWORD);

export const INBOX_SEARCH_ATTRIBUTES = [
  INBOX_STATUS,
  INBOX_TEAM,
  INBOX_ASSIGNEE,
  INBOX_CHANNEL,
  INBOX_ESCALATION,
  INBOX_WAITING_SINCE,
  INBOX_PRIORITY,
] as const;

/** `Name=Type` pairs in the form `temporal server start-dev --search-attribute` expects. */
export const SEARCH_ATTRIBUTE_CLI_TYPES: Record<string, string> = {
  InboxStatus: 'Keyword',
  InboxTeam: 'Keyword',
  InboxAssignee: 'Keyword',
  InboxChannel: 'Keyword',
  InboxEscalation: 'Int',
  InboxWaitingSince: 'Datetime',
  InboxPriority: 'Keyword',
};
