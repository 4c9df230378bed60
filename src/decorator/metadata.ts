import 'reflect-metadata';
import type { SmartAsyncOptions } from './options';

/** reflect-metadata key of a decorated method's options (on the method function, and on prototype + key in legacy mode). */
export const SMART_ASYNC_METADATA = 'smart-async:options';
/** reflect-metadata key of `@SmartAsyncDefaults()` options, on the class. */
export const SMART_ASYNC_DEFAULTS = 'smart-async:defaults';

type AnyFunction = (...args: never[]) => unknown;

/** @internal Copies the original method's reflect-metadata and `name` onto its wrapper. */
export function copyMetadata(from: AnyFunction, to: AnyFunction): void {
  for (const key of Reflect.getOwnMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from), to);
  }
  Object.defineProperty(to, 'name', { value: from.name, configurable: true });
}

/** @internal Stores a method's options on its wrapper, and on `target`/`key` when known (legacy mode). */
export function defineMethodOptions(wrapper: AnyFunction, options: SmartAsyncOptions, target?: object, key?: string | symbol): void {
  Reflect.defineMetadata(SMART_ASYNC_METADATA, options, wrapper);
  if (target !== undefined && key !== undefined) Reflect.defineMetadata(SMART_ASYNC_METADATA, options, target, key);
}

/** @internal Class defaults, inherited from parent classes. */
export function getClassDefaults(cls: object): SmartAsyncOptions | undefined {
  return Reflect.getMetadata(SMART_ASYNC_DEFAULTS, cls) as SmartAsyncOptions | undefined;
}

/** @internal Stores `@SmartAsyncDefaults()` options on a class. */
export function defineClassDefaults(cls: object, options: SmartAsyncOptions): void {
  Reflect.defineMetadata(SMART_ASYNC_DEFAULTS, options, cls);
}

/**
 * The options of a `@SmartAsync()` method, merged over its class's `@SmartAsyncDefaults()`:
 * what the decorator will use when no call option or env var overrides them. `undefined` when
 * the method is not decorated. Works the same in legacy and standard decorator mode.
 *
 * @param classOrPrototype the class (for static methods, or instance methods through `prototype`) or its prototype
 * @param methodName the method's name
 * @example
 * getSmartAsyncMetadata(ReportService, 'build'); // { timeoutMs: 5000, label: 'report' }
 */
export function getSmartAsyncMetadata(classOrPrototype: object, methodName: string | symbol): SmartAsyncOptions | undefined {
  const holders: object[] = [classOrPrototype];
  if (typeof classOrPrototype === 'function' && classOrPrototype.prototype) holders.push(classOrPrototype.prototype as object);
  for (const holder of holders) {
    const fn = (holder as Record<string | symbol, unknown>)[methodName];
    const own =
      (typeof fn === 'function' ? (Reflect.getMetadata(SMART_ASYNC_METADATA, fn) as SmartAsyncOptions | undefined) : undefined) ??
      (Reflect.getMetadata(SMART_ASYNC_METADATA, holder, methodName) as SmartAsyncOptions | undefined);
    if (own) {
      const cls = typeof holder === 'function' ? holder : (holder as { constructor: object }).constructor;
      return { ...getClassDefaults(cls), ...own };
    }
  }
  return undefined;
}
