import { SmartAsyncConfigError } from '../common/errors';
import { copyMetadata, defineMethodOptions } from './metadata';
import type { SmartAsyncOptions } from './options';

/** @internal A method as the decorator sees it. */
export type Method = (this: unknown, ...args: unknown[]) => unknown;

/** @internal A class, as a decorator sees it. */
export type AnyClass = abstract new (...args: never[]) => unknown;

/** @internal What the wrapper knows of the method it wraps. */
export interface MethodInfo {
  name: string;
  isStatic: boolean;
  /**
   * Calls `fn` with the class that declares the method, once it is known: at once with legacy
   * decorators; with standard ones at class definition for a static method, and otherwise when
   * `@SmartAsyncDefaults()` decorates the class or the first instance is made (Node 20 gives a
   * standard method decorator no class before that).
   */
  onClass(fn: (cls: AnyClass) => void): void;
}

/** Standard-mode methods waiting for their class: `@SmartAsyncDefaults()` (a class decorator, applied after them) takes them. */
const waitingForClass: Array<{ wrapper: Method; name: string; isStatic: boolean; known: (cls: AnyClass) => void }> = [];

/** @internal Tells the standard-mode methods of `cls` their class (called by `@SmartAsyncDefaults()`). */
export function classKnown(cls: AnyClass): void {
  for (let i = waitingForClass.length - 1; i >= 0; i--) {
    const w = waitingForClass[i]!;
    const holder = (w.isStatic ? cls : cls.prototype) as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(holder, w.name) && holder[w.name] === w.wrapper) {
      waitingForClass.splice(i, 1);
      w.known(cls);
    }
  }
}

/** The class whose prototype (or which itself, for a static method) holds `wrapper` as `name`. */
function declaringClass(self: object, name: string, wrapper: Method, isStatic: boolean): AnyClass | undefined {
  if (isStatic) return self as AnyClass;
  for (let p = Object.getPrototypeOf(self) as object | null; p; p = Object.getPrototypeOf(p) as object | null) {
    if (Object.prototype.hasOwnProperty.call(p, name) && (p as Record<string, unknown>)[name] === wrapper)
      return (p as { constructor: AnyClass }).constructor;
  }
  return undefined;
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
    const name = String(context.name);
    const isStatic = context.static;
    const listeners: Array<(cls: AnyClass) => void> = [];
    let cls: AnyClass | undefined;
    const known = (c: AnyClass): void => {
      if (cls) return;
      cls = c;
      listeners.splice(0).forEach((fn) => fn(c));
    };
    const wrapper = wrap(value, { name, isStatic, onClass: (fn) => (cls ? fn(cls) : void listeners.push(fn)) });
    if (listeners.length > 0) waitingForClass.push({ wrapper, name, isStatic, known }); // only methods that need their class wait for it
    context.addInitializer(function (this: unknown) {
      if (cls) return;
      const c = declaringClass(this as object, name, wrapper, isStatic);
      if (c) {
        const i = waitingForClass.findIndex((w) => w.wrapper === wrapper);
        if (i >= 0) waitingForClass.splice(i, 1);
        known(c);
      }
    });
    copyMetadata(value, wrapper);
    defineMethodOptions(wrapper, options);
    return wrapper;
  }
  const [target, key, descriptor] = args as [object, string | symbol, PropertyDescriptor | undefined];
  if (!descriptor || typeof descriptor.value !== 'function') {
    throw new SmartAsyncConfigError(`@SmartAsync() decorates methods; \`${String(key)}\` is not one`);
  }
  const original = descriptor.value as Method;
  const isStatic = typeof target === 'function';
  const cls = (isStatic ? target : (target as { constructor: AnyClass }).constructor) as AnyClass;
  const wrapper = wrap(original, { name: String(key), isStatic, onClass: (fn) => fn(cls) });
  copyMetadata(original, wrapper);
  defineMethodOptions(wrapper, options, target, key);
  descriptor.value = wrapper;
  return descriptor;
}
