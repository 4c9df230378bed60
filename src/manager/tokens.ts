import type { InjectionToken } from 'tsyringe';
import type { SmartAsyncConfig } from './config';
import type { JobStore } from '../stores/job-store';

/**
 * Token of the store behind the `JobManager`. Unregistered: a `MemoryJobStore`.
 *
 * @example
 * container.register(JOB_STORE, { useValue: new FileJobStore({ path: './jobs' }) });
 */
export const JOB_STORE: InjectionToken<JobStore> = Symbol.for('smart-async:JobStore');

/**
 * Token of the manager-wide settings (`SmartAsyncConfig`). Unregistered: every default.
 *
 * @example
 * container.register(SMART_ASYNC_CONFIG, { useValue: { defaultTimeoutMs: 20_000 } });
 */
export const SMART_ASYNC_CONFIG: InjectionToken<SmartAsyncConfig> = Symbol.for('smart-async:Config');
