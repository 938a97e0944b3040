/**
 * Finds the Temporal CLI, or builds it once from the Go module proxy into a cache outside the
 * repository (TECH-NOTES §1.1). `TEMPORAL_CLI` wins when set. No server is ever faked: if the
 * build cannot complete, the error says exactly what failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';
const MIN_GO = [1, 25] as const;

export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.KLIOVO_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'kliovo');
  return path.join(base, `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

export class SetupError extends Error {
  override readonly name = 'SetupError';
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findGo(): string | undefined {
  const candidates = [
    ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'go')),
    '/usr/local/go/bin/go',
  ];
  return candidates.find((file) => file && isExecutable(file));
}

function goVersion(go: string): [number, number] | undefined {
  const out = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const match = /^go(\d+)\.(\d+)/.exec(out);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** Returns an absolute path to a working `temporal` binary, building it when needed. */
export async function ensureTemporalCli(log: (line: string) => void = console.log): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    const resolved = path.resolve(fromEnv);
    if (!isExecutable(resolved)) throw new SetupError(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    return resolved;
  }
  const dir = temporalCliCacheDir();
  const binary = path.join(dir, 'temporal');
  if (isExecutable(binary)) return binary;

  const go = findGo();
  if (!go) {
    throw new SetupError(
      'The Temporal CLI is built from source with Go, and Go was not found.\n' +
        `Install Go ${MIN_GO.join('.')} or newer (https://go.dev/doc/install, or your package manager), ` +
        'make sure `go` is on PATH, and run this command again.\n' +
        'Alternatively point TEMPORAL_CLI at an existing `temporal` binary (CLI v1.5.x).',
    );
  }
  const version = goVersion(go);
  if (!version || version[0] < MIN_GO[0] || (version[0] === MIN_GO[0] && version[1] < MIN_GO[1])) {
    throw new SetupError(
      `Go ${version ? version.join('.') : '(unknown version)'} at ${go} is too old: the Temporal CLI ` +
        `${TEMPORAL_CLI_VERSION} needs Go ${MIN_GO.join('.')} or newer.`,
    );
  }

  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with ${go} into ${dir} (first run only; a few minutes)…`);
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const started = Date.now();
  const stderrTail: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(go, ['install', `${MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: {
        ...process.env,
        GOBIN: staging,
        CGO_ENABLED: '0',
        GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim(),
      },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let downloads = 0;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        stderrTail.push(line);
        if (stderrTail.length > 40) stderrTail.shift();
        if (line.startsWith('go: downloading')) {
          downloads += 1;
          if (downloads % 25 === 0) log(`  …${downloads} modules downloaded`);
        } else {
          log(`  ${line}`);
        }
      }
    });
    child.on('error', reject);
    child.on('close', (status) => resolve(status ?? 1));
  });
  if (code !== 0 || !existsSync(path.join(staging, 'temporal'))) {
    rmSync(staging, { recursive: true, force: true });
    throw new SetupError(
      `Building the Temporal CLI failed (go install exited with ${code}). The last lines were:\n` +
        stderrTail.slice(-15).join('\n') +
        '\nThe build needs the Go module proxy and checksum database (GOPROXY / GOSUMDB) to be reachable.',
    );
  }
  mkdirSync(dir, { recursive: true });
  renameSync(path.join(staging, 'temporal'), binary);
  rmSync(staging, { recursive: true, force: true });
  log(`Temporal CLI ready in ${Math.round((Date.now() - started) / 1000)} s: ${binary}`);
  return binary;
}
