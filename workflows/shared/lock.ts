/**
 * A deterministic mutex for workflow code. Effectful handlers and the main loop run their
 * critical sections through one lock so two of them never interleave around an `await`
 * (state read before an activity must still be current after it).
 */
export class Lock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(critical: () => Promise<T>): Promise<T> {
    const result = this.tail.then(critical, critical);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
