/**
 * A bounded set of recently seen keys (insertion order, oldest evicted first): the idempotency
 * memory of one isolate. Exact within an isolate while it holds fewer than `capacity` keys; across
 * isolates, records carry the key so readouts count each once (docs/experiments.md).
 */
export class RecentKeys {
  private readonly keys = new Set<string>();
  constructor(private readonly capacity = 50_000) {}

  /** True the first time `key` is seen (and remembers it); false for a repeat. */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value as string);
    return true;
  }
}
