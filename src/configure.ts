import { container as globalContainer, type DependencyContainer } from 'tsyringe';
import { JobManager } from './job-manager';

let configured: DependencyContainer = globalContainer;

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
  configured = options.container ?? globalContainer;
}

/** The container configured with `configureSmartAsync()`. */
export function smartAsyncContainer(): DependencyContainer {
  return configured;
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
  const c = configured;
  let m = managers.get(c);
  if (m === undefined || m.isClosed) managers.set(c, (m = c.resolve(JobManager)));
  return m;
}
