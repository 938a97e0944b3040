/** Small display helpers shared by the inbox screens (client and server). */

export const CHANNEL_LABELS: Record<string, string> = {
  whatsapp: 'WhatsApp',
  messenger: 'Messenger',
  instagram: 'Instagram',
};

export const STATUS_LABELS: Record<string, string> = {
  bot: 'With the AI',
  queued: 'Queued',
  assigned: 'Assigned',
  pending: 'Waiting on customer',
  snoozed: 'Snoozed',
  resolved: 'Resolved',
};

export const TIER_LABELS: Record<string, string> = {
  'sla-standard': 'Standard',
  'sla-priority': 'Priority',
  'sla-manager': 'Manager',
};

export const LEVEL_LABELS = ['None', 'Standard', 'Priority', 'Manager'] as const;

/** "4:05", "1:02:03", "2d 3h": a countdown that stays short in a list row. */
export function countdown(ms: number): string {
  const total = Math.max(0, Math.floor(Math.abs(ms) / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d > 0) return `${d}d ${h}h`;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** "3 minutes 5 seconds": the spoken form of a countdown. */
export function spokenDuration(ms: number): string {
  const total = Math.max(0, Math.floor(Math.abs(ms) / 1000));
  const parts: string[] = [];
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  let rest = total;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 && parts.length < 2) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
  }
  return parts.length ? parts.join(' ') : '0 seconds';
}

/** "2 h 10 min", "45 min", "30 s": a duration in words for figures and windows. */
export function humanDuration(seconds: number | null): string {
  if (seconds === null) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase();
}
