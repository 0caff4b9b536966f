/**
 * The calls one instance is answering for callers that wait (reads, and writes not asked for
 * asynchronously), bounded. On Flex Consumption an instance is given a set number of requests at
 * once (the Bicep's `httpPerInstanceConcurrency`, 100); past that, each call held only queues for
 * the same CPU and storage, and the caller's connection stays open while it does. Beyond the
 * bound a call is refused at once, before any store or Graph call, so a flood is answered in
 * milliseconds rather than held. Writes accepted for the app to finish are not counted: a burst
 * of them is absorbed, not refused.
 */
export class CallsInFlight {
  private count = 0;

  constructor(private readonly limit: number) {}

  /** Takes a place for a call, or false when the instance holds its limit already. */
  tryEnter(): boolean {
    if (this.count >= this.limit) return false;
    this.count += 1;
    return true;
  }

  leave(): void {
    this.count = Math.max(0, this.count - 1);
  }
}
