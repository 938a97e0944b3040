import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { checksumDiffers } from '../../../activities/media/media.activities';
import { normalizeMimeType } from '../../../activities/media/mime';
import { InvalidMediaKeyError, createLocalMediaStorage, isValidMediaKey } from '../../../activities/media/storage';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('media storage keys', () => {
  it.each(['3f1c9d0e-7a5b-4c2d-8e6f-1a2b3c4d5e6f', 'abcdefgh', 'A_b-1234567'])('accepts the generated id %s', (key) => {
    expect(isValidMediaKey(key)).toBe(true);
  });

  it.each([
    '../../etc/passwd',
    '..',
    'abc/defghij',
    'abc\\defghij',
    '/etc/passwd',
    'file.jpg.json',
    'short',
    '',
    'a'.repeat(129),
    'abcdefgh\u0000',
    'abcdefgh ',
  ])('refuses %j', (key) => {
    expect(isValidMediaKey(key)).toBe(false);
  });
});

describe('local media storage', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kliovo-media-unit-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores bytes under a sharded path and reads them back with their type and size', async () => {
    const storage = createLocalMediaStorage(dir);
    const key = randomUUID();
    const bytes = Buffer.from('\u00ff\u00d8\u00ff fake jpeg bytes', 'latin1');
    await storage.put(key, bytes, 'image/jpeg');

    const file = await storage.get(key);
    expect(file).not.toBeNull();
    expect(file!.mimeType).toBe('image/jpeg');
    expect(file!.size).toBe(bytes.length);
    expect((await readAll(file!.stream)).equals(bytes)).toBe(true);

    const shard = path.join(dir, key.slice(0, 2), key.slice(2, 4));
    expect((await readdir(shard)).sort()).toEqual([key, `${key}.json`]);
    expect(await readFile(path.join(shard, key))).toEqual(bytes);
  });

  it('replaces a file written again under the same key (a retried activity)', async () => {
    const storage = createLocalMediaStorage(dir);
    const key = randomUUID();
    await storage.put(key, Buffer.from('first'), 'text/plain');
    await storage.put(key, Buffer.from('second'), 'application/pdf');
    const file = await storage.get(key);
    expect((await readAll(file!.stream)).toString()).toBe('second');
    expect(file!.mimeType).toBe('application/pdf');
    const shard = path.join(dir, key.slice(0, 2), key.slice(2, 4));
    // No temporary files are left behind.
    expect(await readdir(shard)).toHaveLength(2);
  });

  it('answers null for a key with nothing stored', async () => {
    expect(await createLocalMediaStorage(dir).get(randomUUID())).toBeNull();
  });

  it('refuses keys that could leave the storage directory, before touching the disk', async () => {
    const storage = createLocalMediaStorage(dir);
    await expect(storage.put('../../escape-attempt', Buffer.from('x'), 'text/plain')).rejects.toThrow(
      InvalidMediaKeyError,
    );
    await expect(storage.get('../../../etc/passwd')).rejects.toThrow(InvalidMediaKeyError);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('media checksums', () => {
  const bytes = Buffer.from('the bytes');
  const digest = createHash('sha256').update(bytes).digest();

  it('accepts the hex (media GET) and base64 (webhook) forms of the right digest', () => {
    expect(checksumDiffers(digest.toString('hex'), digest)).toBe(false);
    expect(checksumDiffers(digest.toString('hex').toUpperCase(), digest)).toBe(false);
    expect(checksumDiffers(digest.toString('base64'), digest)).toBe(false);
    expect(checksumDiffers(digest.toString('base64url'), digest)).toBe(false);
  });

  it('flags a digest of other bytes and ignores values that are no SHA-256 at all', () => {
    const other = createHash('sha256').update('other').digest();
    expect(checksumDiffers(other.toString('hex'), digest)).toBe(true);
    expect(checksumDiffers(other.toString('base64'), digest)).toBe(true);
    expect(checksumDiffers('not-a-checksum', digest)).toBe(false);
  });
});

describe('normalizeMimeType', () => {
  it.each([
    ['image/jpeg', 'image/jpeg'],
    ['Image/JPEG', 'image/jpeg'],
    ['audio/ogg; codecs=opus', 'audio/ogg; codecs=opus'],
    ['audio/ogg;codecs=opus', 'audio/ogg; codecs=opus'],
    ['text/html\r\nSet-Cookie: x=1', 'application/octet-stream'],
    ['', 'application/octet-stream'],
    [undefined, 'application/octet-stream'],
    ['jpeg', 'application/octet-stream'],
  ])('%j -> %s', (input, expected) => {
    expect(normalizeMimeType(input)).toBe(expected);
  });
});
