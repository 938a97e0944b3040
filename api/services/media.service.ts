/**
 * Stored inbound media for staff (DESIGN §5 `GET /media/:id`): a file is served only to someone
 * who can see its conversation (the role table of DESIGN §4, api/services/access.ts), and only once
 * it is stored. Not found, not allowed and not yet stored all look the same.
 */
import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { InboundContent } from '../../activities/channels/types';
import { FALLBACK_MIME_TYPE, mimeEssence, normalizeMimeType } from '../../activities/media/mime';
import type { MediaStorage } from '../../activities/media/storage';
import { notFound } from '../http/errors';
import { isUuid, visibleTo } from './access';
import type { Actor } from './auth.service';

export interface MediaFile {
  stream: Readable;
  mimeType: string;
  size: number;
  /** `inline` for images, audio and video a browser shows safely; `attachment` for everything else. */
  disposition: 'inline' | 'attachment';
  filename: string;
}

export interface MediaServiceDeps {
  db: Knex;
  storage: MediaStorage;
}

/** SVG is an image that can carry script: downloaded, never shown inline from our origin. */
const INLINE = /^(image\/(jpeg|png|gif|webp|avif|heic|heif)|audio\/[\w.+-]+|video\/[\w.+-]+)$/;

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/amr': 'amr',
  'video/mp4': 'mp4',
  'video/3gpp': '3gp',
  'application/pdf': 'pdf',
};

export function createMediaService({ db, storage }: MediaServiceDeps) {
  return {
    async mediaFile(actor: Actor, mediaId: string): Promise<MediaFile> {
      if (!isUuid(mediaId)) throw notFound('media not found');
      const row = await db('media as md')
        .join('messages as m', 'm.id', 'md.message_id')
        .join('conversations as cv', 'cv.id', 'm.conversation_id')
        .where({ 'md.id': mediaId, 'md.status': 'stored' })
        .modify(visibleTo(db, actor))
        .first('md.storage_key', 'md.mime_type', 'm.content');
      if (!row?.storage_key) throw notFound('media not found');
      const file = await storage.get(row.storage_key);
      if (!file) throw notFound('media not found');
      const mimeType = normalizeMimeType(row.mime_type ?? file.mimeType ?? FALLBACK_MIME_TYPE);
      const essence = mimeEssence(mimeType);
      const content = row.content as InboundContent;
      const given = content.type === 'media' ? content.filename : undefined;
      return {
        stream: file.stream,
        mimeType,
        size: file.size,
        disposition: INLINE.test(essence) ? 'inline' : 'attachment',
        filename:
          given ||
          `${content.type === 'media' ? content.mediaKind : 'file'}-${mediaId.slice(0, 8)}${extension(essence)}`,
      };
    },
  };
}

export type MediaService = ReturnType<typeof createMediaService>;

function extension(essence: string): string {
  const ext = EXTENSIONS[essence];
  return ext ? `.${ext}` : '';
}

/** `inline; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII fallback plus the real name. */
export function contentDisposition(disposition: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%;]/g, '_').slice(0, 150) || 'file';
  const encoded = encodeURIComponent(filename.slice(0, 150)).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
