/** A small typed event emitter. `on` returns the function that removes the listener. */
export class Emitter<Events extends Record<string, unknown[]>> {
  private readonly listeners = new Map<keyof Events, Set<(...args: unknown[]) => void>>();

  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(listener as unknown as (...args: unknown[]) => void);
    return () => {
      set.delete(listener as unknown as (...args: unknown[]) => void);
    };
  }

  count<K extends keyof Events>(event: K): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  /** Calls every listener of `event` in order; a throwing listener goes to `onFailure` and the others still run. */
  emit<K extends keyof Events>(event: K, args: Events[K], onFailure: (error: unknown) => void): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as (...args: Events[K]) => void)(...args);
      } catch (error) {
        onFailure(error);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
