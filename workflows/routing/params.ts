/** Rule parameters are JSON typed by admins: read them defensively, never trust their shape. */
export function paramString(params: Record<string, unknown>, key: string): string | null {
  const value = params?.[key];
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}
