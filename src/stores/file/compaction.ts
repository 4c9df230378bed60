/**
 * @internal When the log is worth rewriting: once it is larger than `minBytes` and more than
 * twice what its live records would take (estimated from the average line size seen).
 */
export class CompactionPolicy {
  private lines = 0;
  private bytes = 0;

  constructor(private readonly minBytes: number) {}

  /** A record line of `bytes` was read or written. */
  account(bytes: number): void {
    this.lines++;
    this.bytes += bytes;
  }

  /** The log is read again from scratch. */
  reset(): void {
    this.lines = 0;
    this.bytes = 0;
  }

  /** Whether a log of `logBytes` holding `liveRecords` records should be compacted. */
  due(logBytes: number, liveRecords: number): boolean {
    const liveEstimate = liveRecords * (this.bytes / Math.max(1, this.lines));
    return logBytes > this.minBytes && logBytes > 2 * liveEstimate;
  }
}
