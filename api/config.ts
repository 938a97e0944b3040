/** Web process configuration (STYLE §12): the shared variables plus what only the web needs. */
import { z } from 'zod';
import { baseEnvSchema, parseDurationMs, parseEnv } from '../workers/config';

const DEV_SESSION_SECRET = 'dev-only-session-secret-change-me';

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'expected a duration such as 30s, 15m, 12h or 7d')
  .transform(parseDurationMs);

const webEnvSchema = baseEnvSchema
  .extend({
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    HOST: z.string().default('0.0.0.0'),
    SESSION_SECRET: z.string().min(16, 'must be at least 16 characters').default(DEV_SESSION_SECRET),
    WHATSAPP_APP_SECRET: z.string().min(1).default('demo-app-secret'),
    WHATSAPP_VERIFY_TOKEN: z.string().min(1).default('demo-verify-token'),
    TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),
    /** The Remix server build (npm run build:web); `dev` serves web/app through Vite instead. */
    WEB_BUILD_DIR: z.string().default('build/web'),
    WEB_MODE: z.enum(['build', 'dev']).default('build'),
    /** A session ends after this long without a request (DESIGN §4)… */
    SESSION_IDLE_TIMEOUT: duration.default(12 * 3_600_000),
    /** …and this long after sign-in in any case. */
    SESSION_ABSOLUTE_TIMEOUT: duration.default(7 * 86_400_000),
    /** Login rate limiting: failures counted over this window… */
    LOGIN_THROTTLE_WINDOW: duration.default(15 * 60_000),
    /** …per account and client address, and per address, before sign-in locks until the window passes. */
    LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).max(1000).default(5),
    LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100_000).default(50),
    /** How often live streams re-check their user's session, role and teams (sign-out ends a stream within this). */
    LIVE_REFRESH_INTERVAL: duration.default(30_000),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.SESSION_SECRET === DEV_SESSION_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_SECRET'], message: 'set a real secret in production' });
    }
    if (env.SESSION_IDLE_TIMEOUT > env.SESSION_ABSOLUTE_TIMEOUT) {
      ctx.addIssue({
        code: 'custom',
        path: ['SESSION_IDLE_TIMEOUT'],
        message: 'must not be longer than SESSION_ABSOLUTE_TIMEOUT',
      });
    }
  });

export type WebConfig = z.infer<typeof webEnvSchema>;

export function loadWebConfig(env: NodeJS.ProcessEnv = process.env): WebConfig {
  return parseEnv(webEnvSchema, env);
}
