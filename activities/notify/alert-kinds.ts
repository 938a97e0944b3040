/** Only these notification kinds reach an agent's phone (DESIGN §3: handover and escalation). */
export const WHATSAPP_ALERT_KINDS = ['handover', 'escalation'] as const;

export const isWhatsAppAlertKind = (kind: string): boolean =>
  (WHATSAPP_ALERT_KINDS as readonly string[]).includes(kind);
