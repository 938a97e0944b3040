/**
 * Sign-in, sessions and API tokens. Passwords are hashed with Argon2id (@node-rs/argon2); session
 * and token values are 256-bit random strings stored only as SHA-256 hashes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Knex } from 'knex';
import type { Role } from '../../db/models';

export interface Actor {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface AuthOptions {
  db: Knex;
  clock?: () => number;
  /** A session ends after this long without use. */
  idleTimeoutMs?: number;
  /** …and after this long in any case. */
  absoluteTimeoutMs?: number;
}

const HOUR = 3_600_000;
// A hash to verify against when the email is unknown, so both paths take the same time.
const DUMMY_HASH_INPUT = 'not-a-real-password';

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const newSecret = () => randomBytes(32).toString('base64url');

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export function createAuthService({
  db,
  clock = Date.now,
  idleTimeoutMs = 12 * HOUR,
  absoluteTimeoutMs = 7 * 24 * HOUR,
}: AuthOptions) {
  let dummyHash: Promise<string> | undefined;

  async function checkPassword(email: string, password: string): Promise<Actor | null> {
    const user = await db('users').whereRaw('email = ?', [email.trim()]).whereNull('disabled_at').first();
    if (!user) {
      dummyHash ??= hash(DUMMY_HASH_INPUT);
      await verify(await dummyHash, password).catch(() => false);
      return null;
    }
    const ok = await verify(user.password_hash, password).catch(() => false);
    return ok ? toActor(user) : null;
  }

  return {
    checkPassword,

    /** A new session for valid credentials; null otherwise (no hint which part was wrong). */
    async signIn(
      email: string,
      password: string,
    ): Promise<{ actor: Actor; sessionToken: string; expiresAt: Date } | null> {
      const actor = await checkPassword(email, password);
      if (!actor) return null;
      const sessionToken = newSecret();
      const expiresAt = new Date(clock() + absoluteTimeoutMs);
      await db('sessions').insert({ id: sha256(sessionToken), user_id: actor.id, expires_at: expiresAt });
      return { actor, sessionToken, expiresAt };
    },

    async signOut(sessionToken: string): Promise<void> {
      await db('sessions')
        .where({ id: sha256(sessionToken) })
        .delete();
    },

    /** The user behind a session cookie, or null when it is unknown, expired or idle too long. */
    async sessionActor(sessionToken: string | undefined): Promise<Actor | null> {
      if (!sessionToken) return null;
      const now = new Date(clock());
      const row = await db('sessions as s')
        .join('users as u', 'u.id', 's.user_id')
        .where('s.id', sha256(sessionToken))
        .whereNull('u.disabled_at')
        .where('s.expires_at', '>', now)
        .where('s.last_seen_at', '>', new Date(clock() - idleTimeoutMs))
        .first('u.*');
      if (!row) return null;
      await db('sessions')
        .where({ id: sha256(sessionToken) })
        .update({ last_seen_at: now });
      return toActor(row);
    },

    async issueApiToken(email: string, password: string): Promise<string | null> {
      const actor = await checkPassword(email, password);
      if (!actor) return null;
      const token = newSecret();
      await db('api_tokens').insert({ token_hash: sha256(token), user_id: actor.id });
      return token;
    },

    async tokenActor(token: string | undefined): Promise<Actor | null> {
      if (!token) return null;
      const row = await db('api_tokens as t')
        .join('users as u', 'u.id', 't.user_id')
        .where('t.token_hash', sha256(token))
        .whereNull('u.disabled_at')
        .first('u.*');
      if (!row) return null;
      await db('api_tokens')
        .where({ token_hash: sha256(token) })
        .update({ last_used_at: new Date(clock()) });
      return toActor(row);
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

function toActor(row: { id: string; email: string; name: string; role: Role }): Actor {
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}
