/** An operation waiting to be written, with where its answer goes. */
export interface Pending<Op> {
  op: Op;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * @internal Group commit: operations submitted while a batch is being written wait and go
 * together in the next one, so 1 or 1,000 concurrent writers cost one write (and one fsync) per
 * batch. `write` answers each operation of a batch, in order; if it throws, every operation of
 * the batch fails with `fail(error)`.
 */
export class GroupCommit<Op> {
  private queue: Array<Pending<Op>> = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly write: (batch: Op[]) => Promise<unknown[]>,
    private readonly fail: (error: unknown) => unknown,
  ) {}

  /** Queues an operation; resolves with its answer once its batch is written. */
  submit<R>(op: Op): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (r: unknown) => void, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Resolves once everything queued so far is written (or failed). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    try {
      await Promise.resolve(); // let the operations submitted in this turn join the batch
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          const results = await this.write(batch.map((p) => p.op));
          batch.forEach((p, i) => p.resolve(results[i]));
        } catch (e) {
          const error = this.fail(e);
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
