/**
 * The product's dev server (scripts/lib/temporal-server.ts) reads search attributes from its
 * caches, not from SQLite on every call (issue #6). A Temporal database made before an inbox
 * search attribute existed gets it registered at start, and the attribute is usable at once: the
 * server is restarted after registering, so no service serves a stale copy. Each start runs the
 * server at the nice value it is given, on every thread (TEMPORAL_NICE, issue #6 figure 8).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startTemporalDevServer, stopChild, type DevServer } from '../../scripts/lib/temporal-server';
import { INBOX_SEARCH_ATTRIBUTES, INBOX_STATUS } from '../../workflows/shared/search-attributes';
import { freePort } from '../support/app-processes';
import { requireTestEnv } from '../support/env';
import { waitFor } from '../support/wait-for';

jest.setTimeout(120_000);

let dir: string;
let server: DevServer | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kliovo-devserver-'));
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A database as an older version of the product left it: a dev server without the inbox attributes. */
async function createOlderDatabase(cli: string, dbFile: string): Promise<void> {
  const port = await freePort();
  const child = spawn(
    cli,
    ['server', 'start-dev', '--headless', '--db-filename', dbFile, '--ip', '127.0.0.1', '--port', String(port)],
    { stdio: 'ignore' },
  );
  try {
    await waitFor(
      async () => {
        const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 1_000 });
        try {
          const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
          return Object.keys(customAttributes ?? {}).length === 0 || undefined;
        } finally {
          await connection.close();
        }
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the plain dev server' },
    );
  } finally {
    await stopChild(child);
  }
}

test('an older Temporal database gets the inbox search attributes, usable at once', async () => {
  const cli = requireTestEnv('TEMPORAL_CLI');
  const dbFile = path.join(dir, 'temporal.db');
  await createOlderDatabase(cli, dbFile);
  const logged: string[] = [];
  server = await startTemporalDevServer({
    cli,
    dbFile,
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    nice: 7,
    log: (line) => logged.push(line),
  });
  expect(logged.filter((l) => l.startsWith('Registered search attribute'))).toHaveLength(
    INBOX_SEARCH_ATTRIBUTES.length,
  );
  // The restarted server too: nice(1) exec'd in place, so the pid is the server's, and every
  // thread the Go runtime started inherited the value.
  const pid = server.process.pid!;
  expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('temporal');
  const threads = readdirSync(`/proc/${pid}/task`).map(Number);
  expect(threads.length).toBeGreaterThan(1);
  expect(new Set(threads.map((tid) => os.getPriority(tid)))).toEqual(new Set([7]));

  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const workflowId = `sa-check-${Date.now()}`;
    // No worker: the start alone writes the visibility record the query below reads.
    await client.workflow.start('noSuchWorkflowType', {
      taskQueue: 'sa-check',
      workflowId,
      args: [],
      typedSearchAttributes: [{ key: INBOX_STATUS, value: 'queued' }],
    });
    const found = await waitFor(
      async () => {
        for await (const w of client.workflow.list({ query: `InboxStatus = 'queued'` })) {
          if (w.workflowId === workflowId) return w;
        }
        return undefined;
      },
      { timeoutMs: 5_000, intervalMs: 100, what: 'the workflow in a query on InboxStatus' },
    );
    expect(found.typedSearchAttributes.get(INBOX_STATUS)).toBe('queued');
    await client.workflow.getHandle(workflowId).terminate('test over');
  } finally {
    await connection.close();
  }
});
