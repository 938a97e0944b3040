/**
 * One shared clock for every countdown on the page: a single interval, however many badges tick.
 * Hydration renders with the server's time (from the signed-in layout's loader, so server and
 * browser produce the same markup); the browser's clock takes over right after.
 */
import { createContext, useCallback, useContext, useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;
let now = Date.now();

function subscribe(listener: () => void) {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The server's time of the current render, provided by the signed-in layout. */
export const ServerNowContext = createContext<number | null>(null);

export function useNow(): number {
  const serverNow = useContext(ServerNowContext);
  const getServerSnapshot = useCallback(() => serverNow ?? now, [serverNow]);
  return useSyncExternalStore(subscribe, () => now, getServerSnapshot);
}
