/** Web process configuration (STYLE §12): the shared variables plus what only the web needs. */
import { z } from 'zod';
import { baseEnvSchema, parseEnv } from '../workers/config';

const DEV_SESSION_SECRET = 'dev-only-session-secret-change-me';

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
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.SESSION_SECRET === DEV_SESSION_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_SECRET'], message: 'set a real secret in production' });
    }
  });

export type WebConfig = z.infer<typeof webEnvSchema>;

export function loadWebConfig(env: NodeJS.ProcessEnv = process.env): WebConfig {
  return parseEnv(webEnvSchema, env);
}
