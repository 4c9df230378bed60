import { JobRejectedError } from '../common/errors';

/** `SMART_ASYNC_CONFIG.concurrency`, resolved: `Infinity` where no limit was set. */
export interface AdmissionLimits {
  /** Calls running at once in the manager (inline attempts and background jobs alike). */
  max: number;
  /** Calls running at once for one owner. */
  perOwner: number;
  /** Calls that may wait for a slot; one more is refused at once (`JOB_REJECTED`). */
  queue: number;
}

/** @internal A call's place at the door: it holds a slot, or waits for one. */
export interface Ticket {
  /** Whether the slot was free at once. */
  readonly granted: boolean;
  /** Resolves when the call holds its slot. */
  readonly ready: Promise<void>;
  /** Frees the slot (or leaves the queue): once; later calls do nothing. */
  release(): void;
}

interface Waiter {
  owner: string;
  grant: () => void;
  /** Out of the queue: granted a slot, or left. */
  gone: boolean;
  /** Granted a slot. */
  granted: boolean;
}

const FREE: Promise<void> = Promise.resolve();

/**
 * @internal Admission of a manager: at most `max` calls run at once, at most `perOwner` of one
 * owner; the others wait in one queue per owner, and a slot that frees goes to the waiting owners
 * in turn (round robin), so one owner's thousand queued calls delay another owner's one by at most
 * one call per slot. Past `queue` waiting calls, a new call is refused at once, never dropped.
 */
export class Admission {
  private running = 0;
  private readonly runningBy = new Map<string, number>();
  /** Waiters per owner, oldest first; the map's order is the owners' turn. */
  private readonly queues = new Map<string, Waiter[]>();
  private waiting = 0;
  /** Calls refused since the manager started. */
  refused = 0;

  constructor(readonly limits: AdmissionLimits) {}

  /** Whether any limit is set (without one, the manager does not use admission). */
  get limited(): boolean {
    return Number.isFinite(this.limits.max) || Number.isFinite(this.limits.perOwner);
  }

  /** How many calls could start now without waiting (claims take at most this many). */
  free(): number {
    return this.waiting > 0 ? 0 : Math.max(0, this.limits.max - this.running);
  }

  /** What `health()` reports. */
  counts(): { running: number; waiting: number; refused: number } {
    return { running: this.running, waiting: this.waiting, refused: this.refused };
  }

  /**
   * A place for a call of `owner`: a slot at once when one is free and nobody waits ahead, else a
   * place in its owner's queue.
   * @throws JobRejectedError when `queue` calls already wait.
   */
  enter(owner: string | undefined): Ticket {
    const who = owner ?? '';
    if (this.waiting === 0 && this.fits(who)) {
      this.takeSlot(who);
      return this.ticket(who, true, FREE, undefined);
    }
    if (this.waiting >= this.limits.queue) {
      this.refused++;
      throw new JobRejectedError(`Too many calls wait for a slot (${this.waiting} waiting, queue ${this.limits.queue}); try again later`);
    }
    let grant!: () => void;
    const ready = new Promise<void>((r) => (grant = r));
    const waiter: Waiter = { owner: who, grant, gone: false, granted: false };
    let queue = this.queues.get(who);
    if (!queue) this.queues.set(who, (queue = []));
    queue.push(waiter);
    this.waiting++;
    this.dispatch(); // a slot this owner may take while others wait on their own limits
    return this.ticket(who, waiter.granted, ready, waiter);
  }

  /** A slot for a claimed job (claims never take more than `free()`). */
  take(owner: string | undefined): Ticket {
    const who = owner ?? '';
    this.takeSlot(who);
    return this.ticket(who, true, FREE, undefined);
  }

  private ticket(who: string, granted: boolean, ready: Promise<void>, waiter: Waiter | undefined): Ticket {
    let done = false;
    return {
      granted,
      ready,
      release: () => {
        if (done) return;
        done = true;
        if (!waiter || waiter.granted) {
          this.running--;
          const n = (this.runningBy.get(who) ?? 1) - 1;
          if (n === 0) this.runningBy.delete(who);
          else this.runningBy.set(who, n);
        } else if (waiter && !waiter.gone) {
          waiter.gone = true; // left the queue before its turn
          this.waiting--;
        }
        this.dispatch();
      },
    };
  }

  private fits(who: string): boolean {
    return this.running < this.limits.max && (this.runningBy.get(who) ?? 0) < this.limits.perOwner;
  }

  private takeSlot(who: string): void {
    this.running++;
    this.runningBy.set(who, (this.runningBy.get(who) ?? 0) + 1);
  }

  /** Gives free slots to the waiting owners in turn. */
  private dispatch(): void {
    while (this.running < this.limits.max && this.waiting > 0) {
      let granted = false;
      for (const [who, queue] of this.queues) {
        while (queue.length > 0 && queue[0]!.gone) queue.shift();
        if (queue.length === 0) {
          this.queues.delete(who);
          continue;
        }
        if (!this.fits(who)) continue;
        const waiter = queue.shift()!;
        this.queues.delete(who); // to the back of the turn
        if (queue.length > 0) this.queues.set(who, queue);
        this.waiting--;
        waiter.gone = true;
        waiter.granted = true;
        this.takeSlot(who);
        waiter.grant();
        granted = true;
        break;
      }
      if (!granted) return; // every waiting owner is at its own limit
    }
  }
}
