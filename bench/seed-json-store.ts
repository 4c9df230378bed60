import { writeFile } from 'node:fs/promises';
import { MemoryJobStore, type JobPatch, type JobRecord, type JobStatus } from '../src';

/**
 * The seed's persistence, as a JobStore: all jobs in memory, and the whole JSON file rewritten
 * on every change (`_save_jobs()`). Writes are serialised, as the seed's were. Used only as the
 * baseline of the file store benchmark.
 */
export class SeedJsonStore extends MemoryJobStore {
  override readonly kind = 'seed-json';
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {
    super();
  }

  /** Fills the store with existing jobs and saves once (the benchmark's set-up, not measured). */
  async preload(jobs: JobRecord[]): Promise<void> {
    for (const job of jobs) await super.create(job);
    await this.save();
  }

  override async create(job: JobRecord): Promise<void> {
    await super.create(job);
    await this.save();
  }

  override async update(id: string, patch: JobPatch, expect?: readonly JobStatus[]): Promise<JobRecord | undefined> {
    const job = await super.update(id, patch, expect);
    if (job) await this.save();
    return job;
  }

  private save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      const jobs = Object.fromEntries((await this.list()).map((j) => [j.id, j]));
      await writeFile(this.file, JSON.stringify({ jobs }));
    });
    return this.saving;
  }
}
