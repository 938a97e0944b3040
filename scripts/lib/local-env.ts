/**
 * Settings of the local tooling (npm start, setup, db scripts, the test runner). Tooling reads
 * its own environment here; the app processes read theirs in their config.ts (STYLE §12).
 */
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const DATA_DIR = path.resolve(ROOT, process.env.KLIOVO_DATA_DIR ?? '.data');

export const local = {
  databaseUrl: process.env.DATABASE_URL || undefined,
  database: 'kliovo',
  postgresDir: path.join(DATA_DIR, 'postgres'),
  postgresPort: Number(process.env.EMBEDDED_POSTGRES_PORT ?? 54329),
  temporalAddress: process.env.TEMPORAL_ADDRESS || undefined,
  temporalDbFile: path.join(DATA_DIR, 'temporal', 'dev.db'),
  temporalPort: Number(process.env.TEMPORAL_PORT ?? 7233),
  temporalUiPort: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  /**
   * The dev server's nice value, 0–19 (0: off); read by `niceValue` in temporal-server.ts. 5, not
   * the worker's 10: at 10 the agents' pages came first but ingest beside them fell behind, the
   * server being the stage every message passes (issue #6, BENCHMARKS.md, the thirteenth session).
   */
  temporalNice: process.env.TEMPORAL_NICE ?? '5',
  webPort: Number(process.env.PORT ?? 3000),
  metaGraphBaseUrl: process.env.META_GRAPH_BASE_URL || undefined,
  metaSandboxPort: Number(process.env.META_SANDBOX_PORT ?? 8790),
  whatsappAppSecret: process.env.WHATSAPP_APP_SECRET ?? 'demo-app-secret',
  production: process.env.NODE_ENV === 'production',
  demo: {
    whatsappPhoneNumberId: process.env.DEMO_WA_PHONE_NUMBER_ID ?? '100000000000001',
    messengerPageId: process.env.DEMO_FB_PAGE_ID ?? '300000000000003',
    instagramAccountId: process.env.DEMO_IG_ACCOUNT_ID ?? '400000000000004',
  },
};

export const WORKFLOW_BUNDLE = path.join(ROOT, 'build', 'workflows', 'bundle.js');
export const WEB_SERVER_BUILD = path.join(ROOT, 'build', 'web', 'server', 'index.mjs');
