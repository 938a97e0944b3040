/** Channel kind -> adapter, built once per process with the Graph base URL from config (STYLE §5). */
import type { ChannelRegistry } from '../deps';
import { createWhatsAppAdapter } from './whatsapp';

export interface ChannelRegistryOptions {
  graphBaseUrl: string;
  graphVersion: string;
}

export function createChannelRegistry(opts: ChannelRegistryOptions): ChannelRegistry {
  return {
    whatsapp: createWhatsAppAdapter(opts),
    // Messenger and Instagram adapters arrive with the channels issue (#4).
    messenger: undefined,
    instagram: undefined,
  };
}
