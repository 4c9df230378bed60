import { SmartAsyncConfigError } from '../common/errors';
import { copyMetadata, defineMethodOptions } from './metadata';
import type { SmartAsyncOptions } from './options';

/** @internal A method as the decorator sees it. */
export type Method = (this: unknown, ...args: unknown[]) => unknown;

/** @internal What the wrapper knows of the method it wraps. */
export interface MethodInfo {
  name: string;
}

function isStandardCall(args: readonly unknown[]): args is [Method, ClassMethodDecoratorContext] {
  const context = args[1];
  return args.length === 2 && typeof context === 'object' && context !== null && typeof (context as { kind?: unknown }).kind === 'string';
}

/**
 * @internal The one place that knows legacy from standard decorators. Standard calls get
 * `(value, context)`; legacy calls get `(target, key, descriptor)`. Either way `wrap` gets the
 * original method and returns its replacement, which carries the original's metadata and name.
 */
export function decorateMethod(
  args: readonly unknown[],
  options: SmartAsyncOptions,
  wrap: (original: Method, info: MethodInfo) => Method,
): unknown {
  if (isStandardCall(args)) {
    const [value, context] = args;
    if (context.kind !== 'method') throw new SmartAsyncConfigError(`@SmartAsync() decorates methods, not a ${context.kind as string}`);
    const wrapper = wrap(value, { name: String(context.name) });
    copyMetadata(value, wrapper);
    defineMethodOptions(wrapper, options);
    return wrapper;
  }
  const [target, key, descriptor] = args as [object, string | symbol, PropertyDescriptor | undefined];
  if (!descriptor || typeof descriptor.value !== 'function') {
    throw new SmartAsyncConfigError(`@SmartAsync() decorates methods; \`${String(key)}\` is not one`);
  }
  const original = descriptor.value as Method;
  const wrapper = wrap(original, { name: String(key) });
  copyMetadata(original, wrapper);
  defineMethodOptions(wrapper, options, target, key);
  descriptor.value = wrapper;
  return descriptor;
}
