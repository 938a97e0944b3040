/** What every loader and action receives (STYLE §7): application services and public config. */
import type { AuthService } from '../../api/services/auth.service';
import type { InboxService } from '../../api/services/inbox.service';

export interface KliovoLoadContext {
  services: {
    auth: AuthService;
    inbox: InboxService;
  };
  config: {
    secureCookies: boolean;
    temporalUiUrl: string;
  };
  /** The requesting client's address (Express `req.ip`), for login rate limiting. */
  clientIp: string;
}

declare module '@remix-run/server-runtime' {
  // Remix's AppLoadContext widened to ours, so `context.services` is typed in every route.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends KliovoLoadContext {}
}
