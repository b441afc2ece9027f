/**
 * Typed event bus for domain facts ("phone registered", "config changed").
 * Producers never import consumers; a throwing subscriber is isolated and
 * logged, it never breaks the producer or the other subscribers.
 */
export type Unsubscribe = () => void;

/** The publishing side of a bus, as given to a producer that only needs part of the event map. */
export interface EventPublisher<Events> {
  emit<K extends keyof Events>(event: K, payload: Events[K]): void;
}

export class EventBus<Events extends { [K in keyof Events]: unknown }> {
  private readonly handlers = new Map<keyof Events, Set<(payload: never) => void>>();

  constructor(private readonly onSubscriberError: (event: string, err: unknown) => void = () => {}) {}

  on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): Unsubscribe {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    const h = handler as (payload: never) => void;
    set.add(h);
    return () => {
      set.delete(h);
    };
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const h of [...set]) {
      try {
        (h as (p: Events[K]) => void)(payload);
      } catch (err) {
        this.onSubscriberError(String(event), err);
      }
    }
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.handlers.get(event)?.size ?? 0;
  }
}
