/**
 * Where inbound media files live once copied from Meta (its links expire: WIRE.md §2.5, §4.2).
 * The worker writes (activities/media/media.activities.ts); the web reads (GET /api/v1/media/:id).
 *
 * The local implementation keeps each file under MEDIA_DIR in a sharded path
 * (`ab/cd/<key>` with a `<key>.json` sidecar for its MIME type), written to a temporary file and
 * renamed into place, so a reader never sees half a file and a retried write simply replaces it.
 * Keys are ids we generate (the media row's uuid), never provider or user input; anything else is
 * refused before it can touch a path.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

export interface StoredFile {
  stream: Readable;
  mimeType: string;
  size: number;
}

export interface MediaStorage {
  put(key: string, bytes: Buffer, mimeType: string): Promise<void>;
  /** The file, or null when nothing is stored under `key`. */
  get(key: string): Promise<StoredFile | null>;
}

/** Letters, digits, `_` and `-` only (no dots, no separators): a key can never leave the root. */
const KEY = /^[A-Za-z0-9_-]{8,128}$/;

export function isValidMediaKey(key: unknown): key is string {
  return typeof key === 'string' && KEY.test(key);
}

export class InvalidMediaKeyError extends Error {
  override readonly name = 'InvalidMediaKeyError';
  constructor() {
    // The key itself is not echoed: it may be anything a caller passed.
    super('invalid media storage key');
  }
}

const FALLBACK_MIME = 'application/octet-stream';

export function createLocalMediaStorage(rootDir: string): MediaStorage {
  const root = path.resolve(rootDir);

  /** `<root>/ab/cd/<key>`: two levels of 256 directories keep any one directory small. */
  function pathOf(key: string): string {
    if (!isValidMediaKey(key)) throw new InvalidMediaKeyError();
    const lower = key.toLowerCase();
    const file = path.join(root, lower.slice(0, 2), lower.slice(2, 4), key);
    // Belt and braces: the pattern already rules out traversal.
    if (!file.startsWith(root + path.sep)) throw new InvalidMediaKeyError();
    return file;
  }

  async function writeAtomically(file: string, data: Buffer | string): Promise<void> {
    const temp = `${file}.${randomUUID()}.tmp`;
    try {
      await writeFile(temp, data, { flag: 'wx' });
      await rename(temp, file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  return {
    async put(key, bytes, mimeType) {
      const file = pathOf(key);
      await mkdir(path.dirname(file), { recursive: true });
      // Bytes first, then the sidecar: get() needs the bytes, and a missing sidecar only costs the type.
      await writeAtomically(file, bytes);
      await writeAtomically(`${file}.json`, JSON.stringify({ mimeType }));
    },

    async get(key) {
      const file = pathOf(key);
      let size: number;
      try {
        const info = await stat(file);
        if (!info.isFile()) return null;
        size = info.size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
      const mimeType = await readFile(`${file}.json`, 'utf8')
        .then((text) => (JSON.parse(text) as { mimeType?: unknown }).mimeType)
        .catch(() => undefined);
      return {
        stream: createReadStream(file),
        mimeType: typeof mimeType === 'string' && mimeType ? mimeType : FALLBACK_MIME,
        size,
      };
    },
  };
}
