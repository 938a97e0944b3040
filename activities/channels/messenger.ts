/**
 * Facebook Messenger adapter (STYLE §5). Webhooks arrive as `object: page` with
 * `entry[].messaging[]` events keyed by the user's page-scoped id (PSID); `entry.id` and
 * `recipient.id` are the Page id, our `channelExternalId` (WIRE.md §4.2). Sends go to
 * `POST /<version>/<PAGE_ID>/messages` with the Page access token (WIRE.md §4.4). The shared
 * Messenger Platform code lives in meta-messaging.ts; this module only picks the profile.
 */
import { createMetaMessagingAdapter, type GraphOptions, type MetaMessagingProfile } from './meta-messaging';
import type { ChannelAdapter } from './types';

/** Send API text limit: 2000 characters (Messenger Send API reference; not stated in WIRE.md). */
export const MESSENGER_MAX_TEXT_LENGTH = 2000;

export const messengerProfile: MetaMessagingProfile = {
  kind: 'messenger',
  object: 'page',
  label: 'Messenger',
  maxTextLength: MESSENGER_MAX_TEXT_LENGTH,
  sendNode: (channel) => channel.externalId,
};

export function createMessengerAdapter(opts: GraphOptions): ChannelAdapter {
  return createMetaMessagingAdapter(messengerProfile, opts);
}
