/**
 * Builds what the processes load: the Remix app and the workflow bundle. Skipped when the
 * output is newer than every source file it depends on, so a second `npm start` is quick.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ROOT, WEB_SERVER_BUILD, WORKFLOW_BUNDLE } from './local-env';

function newestMtime(paths: string[]): number {
  let newest = 0;
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const entry of readdirSync(p)) if (entry !== 'node_modules') walk(path.join(p, entry));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  paths.forEach(walk);
  return newest;
}

const isFresh = (output: string, sources: string[]) =>
  existsSync(output) && statSync(output).mtimeMs >= newestMtime(sources.map((s) => path.join(ROOT, s)));

export function buildWeb(opts: { force?: boolean; log?: (l: string) => void } = {}): void {
  const sources = ['web', 'api', 'vite.config.mts', 'package-lock.json'];
  if (!opts.force && isFresh(WEB_SERVER_BUILD, sources)) return;
  opts.log?.('Building the web app…');
  const result = spawnSync(process.execPath, [require.resolve('@remix-run/dev/dist/cli.js'), 'vite:build'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`The web build failed:\n${result.stdout}\n${result.stderr}`);
}

export async function buildWorkflows(opts: { force?: boolean; log?: (l: string) => void } = {}): Promise<string> {
  const sources = ['workflows', 'activities', 'package-lock.json'];
  if (!opts.force && isFresh(WORKFLOW_BUNDLE, sources)) return WORKFLOW_BUNDLE;
  opts.log?.('Bundling workflows…');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve(path.join(ROOT, 'workflows')),
    logger: {
      info: () => undefined,
      warn: () => undefined,
      error: console.error,
      debug: () => undefined,
      trace: () => undefined,
      log: () => undefined,
    },
  });
  mkdirSync(path.dirname(WORKFLOW_BUNDLE), { recursive: true });
  writeFileSync(WORKFLOW_BUNDLE, code);
  return WORKFLOW_BUNDLE;
}
