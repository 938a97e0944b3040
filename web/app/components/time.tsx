/** A timestamp shown in the reader's locale; the machine-readable value stays in `dateTime`. */
export function Time({ at, withDate = false }: { at: string | null; withDate?: boolean }) {
  if (!at) return null;
  const date = new Date(at);
  const sameDay = new Date().toDateString() === date.toDateString();
  const label =
    withDate || !sameDay
      ? date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
      : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return (
    <time dateTime={at} suppressHydrationWarning>
      {label}
    </time>
  );
}
