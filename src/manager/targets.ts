import { SmartAsyncConfigError } from '../common/errors';
import type { BackoffOptions } from '../job/types';

/** A durable method as this process knows it: what a claimed job of its name runs. */
export interface DurableTarget {
  /** The durable name (`"ClassName.methodName"` unless named). */
  readonly name: string;
  /** The class that declares the method. */
  readonly cls: abstract new (...args: never[]) => unknown;
  /** Whether the method is static (it runs on the class, not on an instance). */
  readonly isStatic: boolean;
  /** The method itself, undecorated. */
  readonly method: (...args: unknown[]) => unknown;
  /** Its label (jobs it creates carry it). */
  readonly label: string;
  readonly attempts: number;
  readonly backoff: BackoffOptions;
  readonly retryOn: ((error: unknown) => boolean) | undefined;
}

/** Every durable method this process knows, by durable name. */
const targets = new Map<string, DurableTarget>();

/**
 * @internal Makes a durable method known to this process (idempotent for the same method).
 * @throws SmartAsyncConfigError when another method already has the name.
 */
export function registerTarget(target: DurableTarget): void {
  const known = targets.get(target.name);
  if (known && (known.cls !== target.cls || known.method !== target.method)) {
    throw new SmartAsyncConfigError(
      `Two durable methods have the name \`${target.name}\` (${known.cls.name} and ${target.cls.name}); give one another \`durable: { name }\``,
    );
  }
  if (!known) targets.set(target.name, target);
}

/** @internal The durable method of a name, if this process knows it. */
export function findTarget(name: string): DurableTarget | undefined {
  return targets.get(name);
}

/** @internal The durable names this process knows (what its managers claim). */
export function knownTargets(): string[] {
  return Array.from(targets.keys());
}
