/**
 * Accepted messages by id, for callbacks and fetches that come later. Bounded like the recorder,
 * since the sandbox runs for days: past `max`, the oldest entry goes (a Map iterates in insertion
 * order, so the first key is the oldest).
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max = 10_000) {
    super();
  }

  override set(key: K, value: V): this {
    super.set(key, value);
    if (this.size > this.max) this.delete(this.keys().next().value as K);
    return this;
  }
}
