import type { DependencyContainer } from 'tsyringe';
import { setContainer, smartAsyncContainer } from './container';
import { JobManager } from './job-manager';

export { smartAsyncContainer };

/** Where decorated methods find their `JobManager`. */
export interface ConfigureOptions {
  /** The container the decorator resolves `JobManager` from. @default tsyringe's global container */
  container?: DependencyContainer;
}

/**
 * Points the decorator at a container (e.g. a child container with its own store and manager).
 * Calling it with no container goes back to the global one.
 *
 * @example
 * const child = container.createChildContainer();
 * child.register(JOB_STORE, { useValue: new MemoryJobStore() });
 * child.registerSingleton(JobManager);
 * configureSmartAsync({ container: child });
 */
export function configureSmartAsync(options: ConfigureOptions = {}): void {
  setContainer(options.container);
}

const managers = new WeakMap<DependencyContainer, JobManager>();

/**
 * The JobManager that decorated methods, `jobStatus()` and the integrations use when none is
 * given: the configured container's, resolved once per container (a closed manager is resolved
 * again, so a container that was reset and re-registered is followed).
 *
 * @example
 * const jobs = currentJobManager();
 */
export function currentJobManager(): JobManager {
  const c = smartAsyncContainer();
  let m = managers.get(c);
  if (m === undefined || m.isClosed) managers.set(c, (m = c.resolve(JobManager)));
  return m;
}

const bound = new WeakMap<object, JobManager>();

/**
 * Makes the decorated calls made on `target` — an instance, or a class for its static methods —
 * use `manager` instead of the configured container's. For frameworks with injectors of their
 * own: the NestJS module binds every provider and controller of an app to that app's manager, so
 * two apps in one process keep their jobs apart.
 *
 * @example
 * bindJobManager(reportService, tenantJobs);
 */
export function bindJobManager(target: object, manager: JobManager): void {
  bound.set(target, manager);
}

/** The manager a decorated call on `target` uses: the one bound to it (or to its class), else `currentJobManager()`. */
export function jobManagerFor(target: unknown): JobManager {
  if (target !== null && (typeof target === 'object' || typeof target === 'function')) {
    const m = bound.get(target) ?? (typeof target === 'object' ? bound.get((target as object).constructor) : undefined);
    if (m !== undefined) return m;
  }
  return currentJobManager();
}
