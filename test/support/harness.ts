import 'reflect-metadata';
import { container, type DependencyContainer } from 'tsyringe';
import {
  configureSmartAsync,
  JOB_STORE,
  jobContext,
  JobManager,
  MemoryJobStore,
  SMART_ASYNC_CONFIG,
  type JobStore,
  type SmartAsyncConfig,
} from '../../src';

/** A child container with its own store and manager, configured for the decorator. */
export interface Harness {
  child: DependencyContainer;
  manager: JobManager;
  store: JobStore;
}

let current: Harness[] = [];

export function useHarness(config?: SmartAsyncConfig, store: JobStore = new MemoryJobStore()): Harness {
  const child = container.createChildContainer();
  child.register(JOB_STORE, { useValue: store });
  if (config) child.register(SMART_ASYNC_CONFIG, { useValue: config });
  child.registerSingleton(JobManager);
  configureSmartAsync({ container: child });
  const h = { child, manager: child.resolve(JobManager), store };
  current.push(h);
  return h;
}

export async function closeHarnesses(): Promise<void> {
  const all = current;
  current = [];
  configureSmartAsync();
  await Promise.all(all.map((h) => h.manager.close()));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A store that counts writes, to see coalescing and the inline path's silence. */
export class CountingStore extends MemoryJobStore {
  creates = 0;
  updates = 0;
  override async create(...args: Parameters<MemoryJobStore['create']>): Promise<void> {
    this.creates++;
    return super.create(...args);
  }
  override async update(...args: Parameters<MemoryJobStore['update']>): ReturnType<MemoryJobStore['update']> {
    this.updates++;
    return super.update(...args);
  }
}

/** Sleeps, but wakes (and throws the reason) when the job's signal aborts: keeps no timer alive after a cancel. */
export function busy(ms: number): Promise<void> {
  const signal = jobContext()?.signal;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
