/**
 * Objection models over the projection (DESIGN §2): tables, relations and JSON schemas only.
 * Writers live in activities/projection/, readers in api/services/ (STYLE §8).
 */
import { Model, type RelationMappings } from 'objection';

export type Role = 'owner' | 'admin' | 'agent';
export type Availability = 'online' | 'away' | 'offline';
export type ChannelKind = 'whatsapp' | 'messenger' | 'instagram';

export class User extends Model {
  static override tableName = 'users';
  id!: string;
  email!: string;
  name!: string;
  password_hash!: string;
  role!: Role;
  availability!: Availability;
  capacity!: number;
  whatsapp_number!: string | null;
  disabled_at!: Date | null;
  teams?: Team[];

  static override get relationMappings(): RelationMappings {
    return {
      teams: {
        relation: Model.ManyToManyRelation,
        modelClass: Team,
        join: {
          from: 'users.id',
          through: { from: 'team_members.user_id', to: 'team_members.team_id', extra: ['is_lead'] },
          to: 'teams.id',
        },
      },
    };
  }
}

export class Team extends Model {
  static override tableName = 'teams';
  id!: string;
  name!: string;
  members?: User[];

  static override get relationMappings(): RelationMappings {
    return {
      members: {
        relation: Model.ManyToManyRelation,
        modelClass: User,
        join: {
          from: 'teams.id',
          through: { from: 'team_members.team_id', to: 'team_members.user_id', extra: ['is_lead'] },
          to: 'users.id',
        },
      },
    };
  }
}

export class Channel extends Model {
  static override tableName = 'channels';
  id!: string;
  kind!: ChannelKind;
  name!: string;
  external_id!: string;
  credentials!: { accessToken?: string };
}

export class Contact extends Model {
  static override tableName = 'contacts';
  id!: string;
  channel_id!: string;
  external_key!: string;
  wa_id!: string | null;
  display_name!: string | null;
  tags!: string[];
  attributes!: Record<string, unknown>;
}

export type ConversationStatus = 'bot' | 'queued' | 'assigned' | 'pending' | 'snoozed' | 'resolved';

export class Conversation extends Model {
  static override tableName = 'conversations';
  id!: string;
  workflow_id!: string;
  channel_id!: string;
  contact_id!: string;
  /** The contact's display name, else its external key; kept by triggers (see its migration). */
  contact_name!: string;
  status!: ConversationStatus;
  priority!: 'normal' | 'high' | 'urgent';
  escalation_level!: number;
  team_id!: string | null;
  assignee_id!: string | null;
  tags!: string[];
  waiting_since!: Date | null;
  last_message_at!: Date | null;
  last_inbound_at!: Date | null;
  last_message_preview!: string | null;
  last_message_author!: string | null;
  version!: string;
  created_at!: Date;
  updated_at!: Date;
  contact?: Contact;
  channel?: Channel;

  static override get relationMappings(): RelationMappings {
    return {
      contact: {
        relation: Model.BelongsToOneRelation,
        modelClass: Contact,
        join: { from: 'conversations.contact_id', to: 'contacts.id' },
      },
      channel: {
        relation: Model.BelongsToOneRelation,
        modelClass: Channel,
        join: { from: 'conversations.channel_id', to: 'channels.id' },
      },
    };
  }
}

export type MessageStatus = 'received' | 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

export class Message extends Model {
  static override tableName = 'messages';
  id!: string;
  conversation_id!: string;
  channel_id!: string;
  external_id!: string | null;
  direction!: 'inbound' | 'outbound';
  author_kind!: 'contact' | 'agent' | 'ai' | 'system';
  author_user_id!: string | null;
  type!: string;
  body!: string | null;
  content!: Record<string, unknown>;
  status!: MessageStatus;
  error_code!: number | null;
  error_reason!: string | null;
  sent_at!: Date;
  created_at!: Date;
}

export class ConversationEvent extends Model {
  static override tableName = 'events';
  id!: string;
  conversation_id!: string;
  type!: string;
  actor_kind!: 'contact' | 'agent' | 'ai' | 'system';
  actor_user_id!: string | null;
  data!: Record<string, unknown>;
  version!: string;
  created_at!: Date;
}
