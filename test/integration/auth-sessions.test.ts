/**
 * Session hardening (DESIGN §4, issue #5) on the running web process: rotation on sign-in,
 * sign-out, disabled users and role changes taking effect at once, idle timeout, login rate
 * limiting, audit of failures, and the same-origin rule for state-changing requests.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createHash } from 'node:crypto';
import { addMember, upsertTeam, upsertUser } from '../support/factories';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startApp, type RunningApp } from '../support/app-processes';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { waitFor } from '../support/wait-for';

const PASSWORD = 'correct horse battery';
const WRONG = 'Tr0ub4dor&3-wrong';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('sessions and sign-in hardening', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let teamId: string;

  const appEnv = (extraEnv: Record<string, string> = {}) => ({
    databaseUrl: database.url,
    temporalAddress: temporal.connection.options.address,
    taskQueue: uniqueTaskQueue('auth'),
    graphBaseUrl: graph.url,
    appSecret: 'test-app-secret',
    verifyToken: 'test-verify-token',
    extraEnv,
  });

  beforeAll(async () => {
    [temporal, database, graph] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startFakeGraph({ accessTokens: [] }),
    ]);
    teamId = await upsertTeam(database.db, 'Support');
    app = await startApp(appEnv());
  });

  afterAll(async () => {
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
  });

  async function user(email: string, role: 'owner' | 'admin' | 'agent' = 'agent'): Promise<string> {
    const id = await upsertUser(database.db, { email, name: email.split('@')[0]!, role, password: PASSWORD });
    await addMember(database.db, teamId, id);
    return id;
  }

  /** The sign-in form, as a browser posts it (same origin); `cookie` is what the browser already had. */
  function postLogin(base: string, email: string, password: string, cookie?: string): Promise<Response> {
    return fetch(`${base}/login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: base,
        ...(cookie && { cookie }),
      },
      body: new URLSearchParams({ email, password }).toString(),
      redirect: 'manual',
    });
  }

  async function signIn(base: string, email: string, cookie?: string): Promise<string> {
    const res = await postLogin(base, email, PASSWORD, cookie);
    expect(res.status).toBe(302);
    return res.headers.get('set-cookie')!.split(';')[0]!;
  }

  const tokenOf = (cookie: string) => cookie.slice(cookie.indexOf('=') + 1);

  const conversations = (base: string, cookie: string) =>
    fetch(`${base}/api/v1/conversations`, { headers: { cookie } }).then((r) => r.status);

  it('sets an HttpOnly, SameSite=Lax session cookie for the whole site', async () => {
    await user('cookie@test.dev');
    const res = await postLogin(app.baseUrl, 'cookie@test.dev', PASSWORD);
    expect(res.status).toBe(302);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^kliovo_session=[\w-]{43};/);
    expect(setCookie).toMatch(/; HttpOnly/i);
    expect(setCookie).toMatch(/; SameSite=Lax/i);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).toMatch(/; Expires=/);
    // Not Secure outside production (tests and local runs use http://).
    expect(setCookie).not.toMatch(/; Secure/i);
  });

  it('gives a new session id at sign-in and invalidates the one the browser had', async () => {
    const userId = await user('rotate@test.dev');
    const first = await signIn(app.baseUrl, 'rotate@test.dev');
    expect(await conversations(app.baseUrl, first)).toBe(200);
    // Signing in again from the same browser: a new id, the old one is dead.
    const second = await signIn(app.baseUrl, 'rotate@test.dev', first);
    expect(tokenOf(second)).not.toBe(tokenOf(first));
    expect(await conversations(app.baseUrl, first)).toBe(401);
    expect(await conversations(app.baseUrl, second)).toBe(200);
    // A session id planted in the browser before sign-in (fixation) is not the one that signs in.
    const planted = 'planted-session-value-known-to-an-attacker';
    await database.db('sessions').insert({
      id: sha256(planted),
      user_id: userId,
      expires_at: new Date(Date.now() + 3_600_000),
    });
    const third = await signIn(app.baseUrl, 'rotate@test.dev', `kliovo_session=${planted}`);
    expect(tokenOf(third)).not.toBe(planted);
    expect(
      await database
        .db('sessions')
        .where({ id: sha256(planted) })
        .first(),
    ).toBeUndefined();
    expect(await conversations(app.baseUrl, `kliovo_session=${planted}`)).toBe(401);
  });

  it('kills the session on sign-out', async () => {
    await user('logout@test.dev');
    const cookie = await signIn(app.baseUrl, 'logout@test.dev');
    expect(await conversations(app.baseUrl, cookie)).toBe(200);
    const res = await fetch(`${app.baseUrl}/logout`, {
      method: 'POST',
      headers: { cookie, origin: app.baseUrl },
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('set-cookie')).toMatch(/^kliovo_session=;.*Max-Age=0/i);
    expect(
      await database
        .db('sessions')
        .where({ id: sha256(tokenOf(cookie)) })
        .first(),
    ).toBeUndefined();
    // The old cookie, replayed, is refused.
    expect(await conversations(app.baseUrl, cookie)).toBe(401);
  });

  it('ends a disabled user’s sessions and tokens at once, for good', async () => {
    const userId = await user('disabled@test.dev');
    const cookie = await signIn(app.baseUrl, 'disabled@test.dev');
    const tokenRes = await fetch(`${app.baseUrl}/api/v1/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'disabled@test.dev', password: PASSWORD }),
    });
    const { token } = (await tokenRes.json()) as { token: string };
    const withToken = () =>
      fetch(`${app.baseUrl}/api/v1/conversations`, { headers: { authorization: `Bearer ${token}` } }).then(
        (r) => r.status,
      );
    expect([await conversations(app.baseUrl, cookie), await withToken()]).toEqual([200, 200]);

    await database.db('users').where({ id: userId }).update({ disabled_at: new Date() });
    expect([await conversations(app.baseUrl, cookie), await withToken()]).toEqual([401, 401]);
    // The password no longer signs in either, with the usual answer.
    expect((await postLogin(app.baseUrl, 'disabled@test.dev', PASSWORD)).status).toBe(401);
    // Re-enabling the account does not revive the session that was cut off.
    await database.db('users').where({ id: userId }).update({ disabled_at: null });
    expect(await conversations(app.baseUrl, cookie)).toBe(401);
  });

  it('applies a role change on the next request', async () => {
    const userId = await user('demoted@test.dev', 'admin');
    const cookie = await signIn(app.baseUrl, 'demoted@test.dev');
    const putPolicy = () =>
      fetch(`${app.baseUrl}/api/v1/sla-policies/${teamId}`, {
        method: 'PUT',
        headers: { cookie, origin: app.baseUrl, 'content-type': 'application/json' },
        body: JSON.stringify({ tiers: [60, 120, 180] }),
      });
    expect((await putPolicy()).status).toBe(200);

    await database.db('users').where({ id: userId }).update({ role: 'agent' });
    const refused = await putPolicy();
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    // Authorization failures are audited with the user id.
    const audit = await waitFor(
      () => database.db('audit_log').where({ action: 'auth.forbidden', actor_user_id: userId }).first(),
      { what: 'the auth.forbidden audit row' },
    );
    expect(audit.data).toMatchObject({ method: 'PUT', path: `/api/v1/sla-policies/${teamId}` });
  });

  it('refuses a state-changing request from another site with 403', async () => {
    const userId = await user('csrf@test.dev');
    const cookie = await signIn(app.baseUrl, 'csrf@test.dev');
    const evil = { cookie, origin: 'https://evil.example', 'content-type': 'application/json' };
    const claim = await fetch(`${app.baseUrl}/api/v1/conversations/${teamId}/claim`, {
      method: 'POST',
      headers: evil,
      body: '{}',
    });
    expect(claim.status).toBe(403);
    expect(((await claim.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const logout = await fetch(`${app.baseUrl}/logout`, { method: 'POST', headers: evil, redirect: 'manual' });
    expect(logout.status).toBe(403);
    // The session survived the forged sign-out; the refusals are audited.
    expect(await conversations(app.baseUrl, cookie)).toBe(200);
    const rows = await waitFor(
      async () => {
        const found = await database.db('audit_log').where({ action: 'auth.forbidden', actor_user_id: userId });
        return found.length === 2 ? found : undefined;
      },
      { what: 'two auth.forbidden rows' },
    );
    expect(rows.map((r) => r.data.path).sort()).toEqual([`/api/v1/conversations/${teamId}/claim`, '/logout']);
  });

  it('refuses an API request without a session with 401', async () => {
    const res = await fetch(`${app.baseUrl}/api/v1/conversations`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
  });

  it('locks sign-in after five failures with 429 and Retry-After, the same for unknown accounts', async () => {
    const userId = await user('brute@test.dev');
    for (let i = 0; i < 5; i++) {
      expect((await postLogin(app.baseUrl, 'brute@test.dev', `${WRONG}${i}`)).status).toBe(401);
    }
    const locked = await postLogin(app.baseUrl, 'brute@test.dev', WRONG);
    expect(locked.status).toBe(429);
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    const lockedPage = await locked.text();
    expect(lockedPage).toContain('Too many sign-in attempts');
    // While locked, even the right password is refused, on the form and the token endpoint alike.
    expect((await postLogin(app.baseUrl, 'brute@test.dev', PASSWORD)).status).toBe(429);
    const api = await fetch(`${app.baseUrl}/api/v1/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'brute@test.dev', password: PASSWORD }),
    });
    expect(api.status).toBe(429);
    expect(Number(api.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('too_many_requests');

    // An account that does not exist locks the same way, with the same words: nothing to enumerate.
    for (let i = 0; i < 5; i++) {
      expect((await postLogin(app.baseUrl, 'nobody@test.dev', `${WRONG}${i}`)).status).toBe(401);
    }
    const ghost = await postLogin(app.baseUrl, 'nobody@test.dev', WRONG);
    expect(ghost.status).toBe(429);
    expect(ghost.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await ghost.text()).toContain('Too many sign-in attempts');

    // Other accounts from the same address are not locked by these (the per-address limit is 50).
    await user('bystander@test.dev');
    expect((await postLogin(app.baseUrl, 'bystander@test.dev', PASSWORD)).status).toBe(302);

    // Failures are audited and logged without the email or the password.
    const audited = await database.db('audit_log').where({ action: 'auth.login_failed' });
    expect(audited.filter((r) => r.actor_user_id === userId)).toHaveLength(5);
    expect(audited.filter((r) => r.actor_user_id === null && r.data.emailHash)).toHaveLength(5);
    const stored = JSON.stringify(audited) + JSON.stringify(await database.db('login_attempts'));
    expect(stored).not.toContain('brute@test.dev');
    expect(stored).not.toContain('nobody@test.dev');
    expect(stored).not.toContain(WRONG);
    expect(app.output()).toContain('sign-in failed');
    expect(app.output()).not.toContain(WRONG);
    expect(app.output()).not.toContain('nobody@test.dev');
  });

  describe('with short timeouts', () => {
    let short: RunningApp;

    beforeAll(async () => {
      short = await startApp(
        appEnv({
          SESSION_IDLE_TIMEOUT: '3s',
          SESSION_ABSOLUTE_TIMEOUT: '6s',
          LOGIN_THROTTLE_WINDOW: '5s',
          LOGIN_MAX_FAILURES_PER_IP: '8',
        }),
      );
      // Both apps share the database and the address: start these limits from a clean slate.
      await database.db('login_attempts').delete();
    });

    afterAll(async () => {
      await short?.stop();
    });

    it('keeps a session in use alive and ends it after SESSION_IDLE_TIMEOUT without use', async () => {
      await user('idle@test.dev');
      const cookie = await signIn(short.baseUrl, 'idle@test.dev');
      const id = sha256(tokenOf(cookie));
      // In use for longer than the idle timeout: last_seen_at moves along, the session stays.
      const started = Date.now();
      await waitFor(
        async () => {
          expect(await conversations(short.baseUrl, cookie)).toBe(200);
          return Date.now() - started > 4_000;
        },
        { intervalMs: 250, timeoutMs: 10_000, what: 'four seconds of use' },
      );
      // Unused: once its last use is older than the idle timeout, it is refused and deleted.
      await waitFor(
        () => database.db('sessions').where({ id }).whereRaw(`last_seen_at < now() - interval '3 seconds'`).first(),
        { timeoutMs: 10_000, intervalMs: 100, what: 'the session to sit idle' },
      );
      expect(await conversations(short.baseUrl, cookie)).toBe(401);
      expect(await database.db('sessions').where({ id }).first()).toBeUndefined();
    });

    it('ends a session in use SESSION_ABSOLUTE_TIMEOUT after sign-in', async () => {
      await user('absolute@test.dev');
      const res = await postLogin(short.baseUrl, 'absolute@test.dev', PASSWORD);
      const signedInAt = Date.now();
      expect(res.status).toBe(302);
      // The cookie itself expires then too.
      const expires = Date.parse(/Expires=([^;]+)/i.exec(res.headers.get('set-cookie')!)![1]!);
      expect(Math.abs(expires - (signedInAt + 6_000))).toBeLessThan(2_000);
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      await waitFor(async () => (await conversations(short.baseUrl, cookie)) === 401, {
        timeoutMs: 12_000,
        intervalMs: 250,
        what: 'the session to expire',
      });
      expect(Date.now() - signedInAt).toBeGreaterThan(5_000);
    });

    it('lets the right password in again once the window has passed, and clears the failures', async () => {
      await user('window@test.dev');
      for (let i = 0; i < 5; i++) {
        expect((await postLogin(short.baseUrl, 'window@test.dev', `${WRONG}${i}`)).status).toBe(401);
      }
      expect((await postLogin(short.baseUrl, 'window@test.dev', PASSWORD)).status).toBe(429);
      // Locked attempts are not counted, so retrying until the window passes does not extend it.
      await waitFor(async () => (await postLogin(short.baseUrl, 'window@test.dev', PASSWORD)).status === 302, {
        timeoutMs: 15_000,
        intervalMs: 500,
        what: 'the lock to lift',
      });
      // A fresh start: five more failures are needed to lock again.
      for (let i = 0; i < 4; i++) {
        expect((await postLogin(short.baseUrl, 'window@test.dev', `${WRONG}${i}`)).status).toBe(401);
      }
      expect((await postLogin(short.baseUrl, 'window@test.dev', PASSWORD)).status).toBe(302);
    });

    it('locks an address that fails on many accounts (LOGIN_MAX_FAILURES_PER_IP)', async () => {
      // The previous test's failures leave the window first.
      await waitFor(
        async () => {
          const recent = await database.db('login_attempts').whereRaw(`created_at > now() - interval '5 seconds'`);
          return recent.length === 0;
        },
        { timeoutMs: 15_000, intervalMs: 200, what: 'an empty window' },
      );
      await user('ip-last@test.dev');
      for (let i = 0; i < 8; i++) {
        // Two failures per account: no account reaches its own limit.
        expect((await postLogin(short.baseUrl, `spray${Math.floor(i / 2)}@test.dev`, WRONG)).status).toBe(401);
      }
      const res = await postLogin(short.baseUrl, 'ip-last@test.dev', PASSWORD);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });
});
