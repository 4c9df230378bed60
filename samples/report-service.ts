/** The slow service both MCP samples expose: a report built step by step, with progress and cancellation. */
import { jobContext, SmartAsync, type SmartResult } from '../src';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ReportService {
  /** Builds a report of `steps` steps of `stepMs` each, reporting progress and honouring cancellation. */
  @SmartAsync({ timeoutMs: 2_000, timeoutEnv: 'REPORT_TIMEOUT' })
  async build(args: { region: string; steps: number; stepMs?: number }): Promise<SmartResult<{ region: string; rows: number }>> {
    const ctx = jobContext()!;
    for (let step = 1; step <= args.steps; step++) {
      ctx.signal.throwIfAborted();
      await sleep(args.stepMs ?? 100);
      ctx.reportProgress(step, args.steps, `step ${step} of ${args.steps}`);
    }
    return { region: args.region, rows: args.steps * 1000 };
  }
}
