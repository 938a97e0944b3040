export default function NoConversationSelected() {
  return (
    <section className="thread thread-placeholder" aria-label="No conversation selected">
      <p className="muted">Pick a conversation to read the thread and reply.</p>
    </section>
  );
}

export function ErrorBoundary() {
  return (
    <section className="thread thread-placeholder" role="alert">
      <p className="muted">Something went wrong here. Pick a conversation from the list.</p>
    </section>
  );
}
