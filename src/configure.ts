import { container as globalContainer, type DependencyContainer } from 'tsyringe';

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
