export default function NoConversationSelected() {
  return (
    <section className="thread thread-placeholder" aria-label="No conversation selected">
      <p className="muted">Pick a conversation to read the thread and reply.</p>
    </section>
  );
}
