/**
 * Builders for reference data, shared by the demo seed and the tests. Each is idempotent on its
 * natural key, so seeding twice changes nothing.
 */
import type { Knex } from 'knex';
import { hashPassword } from '../../api/services/auth.service';
import type { ChannelKind, Role } from '../../db/models';

export async function upsertTeam(db: Knex, name: string): Promise<string> {
  const [row] = await db('teams')
    .insert({ name })
    .onConflict('name')
    .merge({ updated_at: db.fn.now() })
    .returning('id');
  return row.id;
}

export async function upsertUser(
  db: Knex,
  user: {
    email: string;
    name: string;
    role: Role;
    password: string;
    availability?: 'online' | 'away' | 'offline';
    capacity?: number;
  },
): Promise<string> {
  const existing = await db('users').whereRaw('email = ?', [user.email]).first('id');
  if (existing) return existing.id;
  const [row] = await db('users')
    .insert({
      email: user.email,
      name: user.name,
      role: user.role,
      password_hash: await hashPassword(user.password),
      availability: user.availability ?? 'online',
      capacity: user.capacity ?? 10,
    })
    .returning('id');
  return row.id;
}

export async function addMember(db: Knex, teamId: string, userId: string, isLead = false): Promise<void> {
  await db('team_members')
    .insert({ team_id: teamId, user_id: userId, is_lead: isLead })
    .onConflict(['team_id', 'user_id'])
    .merge(['is_lead']);
}

export async function upsertChannel(
  db: Knex,
  channel: { kind: ChannelKind; name: string; externalId: string; accessToken: string; defaultTeamId?: string | null },
): Promise<string> {
  const [row] = await db('channels')
    .insert({
      kind: channel.kind,
      name: channel.name,
      external_id: channel.externalId,
      credentials: JSON.stringify({ accessToken: channel.accessToken }),
      default_team_id: channel.defaultTeamId ?? null,
    })
    .onConflict(['kind', 'external_id'])
    .merge({ name: channel.name, default_team_id: channel.defaultTeamId ?? null, updated_at: db.fn.now() })
    .returning('id');
  return row.id;
}
