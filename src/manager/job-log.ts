import { callSafely } from '../common/call-safely';
import { emitSmartAsyncWarning } from '../common/validation';

/** A pino-style logger (pino, bunyan-likes, or an adapter of yours): `(fields, message)`. Only `warn` is required. */
export interface SmartAsyncLogger {
  warn(fields: Record<string, unknown>, message: string): unknown;
  info?(fields: Record<string, unknown>, message: string): unknown;
  debug?(fields: Record<string, unknown>, message: string): unknown;
}

/**
 * @internal Where a manager's warnings and attempt transitions go: the configured `logger` (with
 * the job's id, label and attempt as fields), or `onWarning` for warnings when there is none. A
 * logger that throws or returns a rejected promise is reported once through `onWarning` (or
 * `process.emitWarning`) and never fails a call.
 */
export class JobLog {
  private failed = false;

  constructor(
    private readonly logger: SmartAsyncLogger | undefined,
    private readonly onWarning: (message: string, error?: unknown) => void,
  ) {}

  /** A warning: to the logger's `warn` (with `err`), else to `onWarning`. */
  warn(message: string, error?: unknown, text: string = message): void {
    if (!this.logger) return this.onWarning(text, error);
    this.call('warn', error === undefined ? {} : { err: error }, message);
  }

  /** An attempt's transition (started, settled, retried, handed back), at `info`. */
  transition(fields: { jobId: string; label: string; attempt?: number; status: string }, message: string): void {
    if (this.logger?.info) this.call('info', fields, message);
  }

  private call(level: 'warn' | 'info', fields: Record<string, unknown>, message: string): void {
    const logger = this.logger!;
    const fn = logger[level];
    if (typeof fn !== 'function') return;
    callSafely(fn.bind(logger), [fields, message], (e) => {
      if (this.failed) return;
      this.failed = true;
      (this.onWarning ?? emitSmartAsyncWarning)('The smart-async logger failed; its entries are dropped (reported once)', e);
    });
  }
}
