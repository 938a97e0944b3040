/**
 * Sign-in, sessions and API tokens (DESIGN §4, issue #5). Passwords are hashed with Argon2id
 * (@node-rs/argon2); session and token values are 256-bit random strings stored only as SHA-256
 * hashes.
 *
 * - Every request re-reads the user with its session or token, so disabling an account or
 *   changing a role takes effect on the next request.
 * - A session ends after `idleTimeoutMs` without use and `absoluteTimeoutMs` after sign-in;
 *   `last_seen_at` is written at most once a minute. Signing in replaces the session the browser
 *   had (a new id), signing out deletes the row.
 * - Failed sign-ins are counted in `login_attempts` per account and address and per address; past
 *   the limit every attempt (right or wrong) is refused with the same message until the window
 *   has passed. Failures are logged and audited with a user id or a keyed email hash, never the
 *   email, password or token.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { Knex } from 'knex';
import type { Role } from '../../db/models';
import { HttpError } from '../http/errors';
import { prepared } from './prepared';

export interface Actor {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** The structured logger's shape this service uses (pino's). */
interface AuthLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface LoginThrottle {
  windowMs: number;
  /** Failures per account and address within the window before it locks. */
  maxPerAccount: number;
  /** Failures per address (any account) within the window before it locks. */
  maxPerIp: number;
}

export interface AuthOptions {
  db: Knex;
  clock?: () => number;
  /** A session ends after this long without use. */
  idleTimeoutMs?: number;
  /** …and after this long in any case. */
  absoluteTimeoutMs?: number;
  throttle?: Partial<LoginThrottle>;
  /** Keys the email hashes in login_attempts, logs and the audit log (SESSION_SECRET). */
  secret?: string;
  log?: AuthLog;
}

/** Where a sign-in comes from: the client address, and the session cookie it already had. */
export interface SignInContext {
  ip?: string;
  previousSessionToken?: string;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
// A hash to verify against when the email is unknown, so both paths take the same time.
const DUMMY_HASH_INPUT = 'not-a-real-password';
export const THROTTLED_MESSAGE = 'Too many sign-in attempts. Try again later.';

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const newSecret = () => randomBytes(32).toString('base64url');

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/**
 * A sign-in refused because of too many failures (429). Recognise it with `retryAfterOf`
 * (api/http/authenticate.ts), which also works across the Remix bundle's copy of this module.
 */
export class LoginThrottledError extends HttpError {
  constructor(readonly retryAfterSeconds: number) {
    super('too_many_requests', THROTTLED_MESSAGE);
  }
}

export function createAuthService({
  db,
  clock = Date.now,
  idleTimeoutMs = 12 * HOUR,
  absoluteTimeoutMs = 7 * 24 * HOUR,
  throttle: throttleOptions,
  secret = 'kliovo-email-hash',
  log,
}: AuthOptions) {
  const throttle: LoginThrottle = { windowMs: 15 * MINUTE, maxPerAccount: 5, maxPerIp: 50, ...throttleOptions };
  // At most once a minute, and often enough that a short idle timeout (tests) still works.
  const touchIntervalMs = Math.min(MINUTE, Math.floor(idleTimeoutMs / 4));
  const emailHash = (email: string) =>
    createHmac('sha256', secret).update(email.trim().toLowerCase()).digest('hex').slice(0, 32);
  let dummyHash: Promise<string> | undefined;
  let lastPrune = 0;

  async function audit(
    actorUserId: string | null,
    action: string,
    targetId: string | null,
    data: Record<string, unknown>,
  ): Promise<void> {
    await db('audit_log')
      .insert({
        actor_user_id: actorUserId,
        action,
        target_kind: 'user',
        target_id: targetId,
        data: JSON.stringify(data),
      })
      .catch((err: unknown) => log?.warn({ err: errMessage(err), action }, 'audit write failed'));
  }

  /** Seconds until this account may try again from this address; 0 when it may now. */
  async function lockedForSeconds(key: string, ip: string): Promise<number> {
    const now = clock();
    const since = new Date(now - throttle.windowMs);
    // The max-th newest failure in the window: the lock lifts when it leaves the window.
    const row = await db
      .select(
        db('login_attempts')
          .where({ email_hash: key, ip })
          .where('created_at', '>', since)
          .orderBy('created_at', 'desc')
          .offset(throttle.maxPerAccount - 1)
          .limit(1)
          .select('created_at')
          .as('account_at'),
        db('login_attempts')
          .where({ ip })
          .where('created_at', '>', since)
          .orderBy('created_at', 'desc')
          .offset(throttle.maxPerIp - 1)
          .limit(1)
          .select('created_at')
          .as('ip_at'),
      )
      .first();
    const until = Math.max(
      row?.account_at ? new Date(row.account_at).getTime() + throttle.windowMs : 0,
      row?.ip_at ? new Date(row.ip_at).getTime() + throttle.windowMs : 0,
    );
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  async function recordFailure(key: string, ip: string): Promise<void> {
    const now = clock();
    await db('login_attempts').insert({ email_hash: key, ip, created_at: new Date(now) });
    if (now - lastPrune > throttle.windowMs) {
      lastPrune = now;
      await db('login_attempts')
        .where('created_at', '<', new Date(now - throttle.windowMs))
        .delete();
    }
  }

  /**
   * The user for valid credentials, null otherwise (no hint which part was wrong); throws
   * LoginThrottledError while the account (from this address) or the address is locked.
   */
  async function checkPassword(
    email: string,
    password: string,
    { ip = 'unknown', via }: { ip?: string; via: 'session' | 'token' },
  ): Promise<Actor | null> {
    const key = emailHash(email);
    const lockedFor = await lockedForSeconds(key, ip);
    if (lockedFor > 0) {
      log?.warn({ emailHash: key, ip, via, retryAfterSeconds: lockedFor }, 'sign-in refused: too many failures');
      throw new LoginThrottledError(lockedFor);
    }
    const user = await db('users').whereRaw('email = ?', [email.trim()]).first();
    let ok = false;
    if (user) {
      ok = await verify(user.password_hash, password).catch(() => false);
    } else {
      dummyHash ??= hash(DUMMY_HASH_INPUT);
      await verify(await dummyHash, password).catch(() => false);
    }
    // A disabled account fails like a wrong password: nothing tells it apart.
    if (ok && !user.disabled_at) {
      await db('login_attempts').where({ email_hash: key, ip }).delete();
      return toActor(user);
    }
    await recordFailure(key, ip);
    const userId: string | null = user?.id ?? null;
    log?.warn({ userId, emailHash: userId ? undefined : key, ip, via }, 'sign-in failed');
    await audit(userId, 'auth.login_failed', userId, { ...(userId ? {} : { emailHash: key }), ip, via });
    return null;
  }

  /** The user behind a session row that is still valid, or null. */
  async function sessionRow(id: string) {
    const now = clock();
    return prepared(
      db('sessions as s')
        .join('users as u', 'u.id', 's.user_id')
        .where('s.id', id)
        .whereNull('u.disabled_at')
        .where('s.expires_at', '>', new Date(now))
        .where('s.created_at', '>', new Date(now - absoluteTimeoutMs))
        .where('s.last_seen_at', '>', new Date(now - idleTimeoutMs))
        .first('u.id', 'u.email', 'u.name', 'u.role', 's.last_seen_at'),
      'session_actor',
    );
  }

  return {
    /**
     * A new session for valid credentials; null otherwise. The browser's previous session (if
     * any) is deleted, so a session id planted before sign-in never becomes a signed-in one.
     */
    async signIn(
      email: string,
      password: string,
      context: SignInContext = {},
    ): Promise<{ actor: Actor; sessionToken: string; expiresAt: Date } | null> {
      const actor = await checkPassword(email, password, { ip: context.ip, via: 'session' });
      if (!actor) return null;
      if (context.previousSessionToken) {
        await db('sessions')
          .where({ id: sha256(context.previousSessionToken) })
          .delete();
      }
      const sessionToken = newSecret();
      const now = new Date(clock());
      const expiresAt = new Date(now.getTime() + absoluteTimeoutMs);
      await db('sessions').insert({
        id: sha256(sessionToken),
        user_id: actor.id,
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt,
      });
      return { actor, sessionToken, expiresAt };
    },

    async signOut(sessionToken: string): Promise<void> {
      await db('sessions')
        .where({ id: sha256(sessionToken) })
        .delete();
    },

    /**
     * The user behind a session cookie, or null when it is unknown, expired, idle too long or its
     * user is disabled. `touch: false` checks without counting as activity (live streams).
     */
    async sessionActor(
      sessionToken: string | undefined,
      { touch = true }: { touch?: boolean } = {},
    ): Promise<Actor | null> {
      if (!sessionToken) return null;
      const id = sha256(sessionToken);
      const row = await sessionRow(id);
      if (!row) {
        // A dead session is gone for good: re-enabling the user does not bring it back.
        await db('sessions').where({ id }).delete();
        return null;
      }
      const now = clock();
      if (touch && new Date(row.last_seen_at).getTime() < now - touchIntervalMs) {
        await db('sessions')
          .where({ id })
          .update({ last_seen_at: new Date(now) });
      }
      return toActor(row);
    },

    async issueApiToken(email: string, password: string, context: { ip?: string } = {}): Promise<string | null> {
      const actor = await checkPassword(email, password, { ip: context.ip, via: 'token' });
      if (!actor) return null;
      const token = newSecret();
      await db('api_tokens').insert({ token_hash: sha256(token), user_id: actor.id });
      return token;
    },

    async tokenActor(token: string | undefined, { touch = true }: { touch?: boolean } = {}): Promise<Actor | null> {
      if (!token) return null;
      const row = await db('api_tokens as t')
        .join('users as u', 'u.id', 't.user_id')
        .where('t.token_hash', sha256(token))
        .whereNull('u.disabled_at')
        .first('u.id', 'u.email', 'u.name', 'u.role', 't.last_used_at');
      if (!row) return null;
      const now = clock();
      if (touch && (!row.last_used_at || new Date(row.last_used_at).getTime() < now - MINUTE)) {
        await db('api_tokens')
          .where({ token_hash: sha256(token) })
          .update({ last_used_at: new Date(now) });
      }
      return toActor(row);
    },

    /** An authorization failure (403): logged and audited as `auth.forbidden`. */
    async recordForbidden(actor: Actor | null, request: { method: string; path: string; ip?: string }): Promise<void> {
      log?.warn({ userId: actor?.id ?? null, ...request }, 'request forbidden');
      await audit(actor?.id ?? null, 'auth.forbidden', actor?.id ?? null, request);
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

function toActor(row: { id: string; email: string; name: string; role: Role }): Actor {
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}

const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));
