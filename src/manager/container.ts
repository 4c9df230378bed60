import { container as globalContainer, type DependencyContainer, type InjectionToken } from 'tsyringe';

let configured: DependencyContainer = globalContainer;

/** @internal Sets the container `configureSmartAsync()` names (the global one by default). */
export function setContainer(container: DependencyContainer | undefined): void {
  configured = container ?? globalContainer;
}

/** The container configured with `configureSmartAsync()`. */
export function smartAsyncContainer(): DependencyContainer {
  return configured;
}

/** @internal The instance a claimed durable job runs on, by default: the configured container's `resolve(Class)`. */
export function defaultInstance(cls: abstract new (...args: never[]) => unknown): object {
  return configured.resolve(cls as unknown as InjectionToken<object>);
}
