import { jobManagerFor } from '../manager/configure';
import { classKnown, decorateMethod, type Method, type MethodInfo } from './decorate-method';
import { callArgs, DEFAULT_BACKOFF, DEFAULT_DURABLE_ATTEMPTS } from '../job/call';
import { registerTarget, type DurableTarget } from '../manager/targets';
import { fingerprintOf } from '../manager/idempotency';
import { parseEnvDuration } from '../common/durations';
import { SmartAsyncConfigError } from '../common/errors';
import { currentScope } from '../manager/job-context';
import { defineClassDefaults, getClassDefaults } from './metadata';
import { parseOrThrow, show } from '../common/validation';
import { smartAsyncOptionsSchema, type DurableOptions, type SmartAsyncOptions } from './options';

/**
 * The type of `@SmartAsync()`: usable as a legacy (`experimentalDecorators`) and as a standard
 * method decorator.
 */
export interface SmartAsyncMethodDecorator {
  // legacy
  <T>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T> | void;
  // standard
  <This, Args extends unknown[], Return>(
    value: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
}

/** The type of `@SmartAsyncDefaults()`: a legacy or standard class decorator. */
export type SmartAsyncClassDecorator = <C extends abstract new (...args: never[]) => unknown>(
  target: C,
  context?: ClassDecoratorContext<C>,
) => void;

/** What a method resolves from its own options and its class's defaults; cached per class. */
interface Static {
  label: string;
  timeoutMs: number | undefined;
  timeoutEnv: string | undefined;
}

/**
 * Makes a method finish within a time budget or hand back a job ticket. Within the budget the
 * caller gets the method's own value (or error) and nothing is stored; past it, the work goes on
 * in the background and the caller gets `{ job_id, status: 'running', message }` at once.
 *
 * Budget per call: `withCallOptions({ timeoutMs })` > env var named by `timeoutEnv` (method, else
 * class) > method `timeoutMs` > class `timeoutMs` > `SMART_ASYNC_CONFIG.defaultTimeoutMs` > 50 000 ms.
 * An object argument (plain, or a class instance such as a DTO) may carry `async_mode` / `job_label`
 * (or `asyncMode` / `jobLabel`) as own properties. A decorated method called from inside another one's work runs as a plain call.
 *
 * @param options budget, env override and label
 * @throws SmartAsyncConfigError at class definition when an option is invalid.
 * @example
 * class Reports {
 *   @SmartAsync({ timeoutMs: 5_000, timeoutEnv: 'REPORT_TIMEOUT' })
 *   async build(day: string): Promise<SmartResult<Report>> { … }
 * }
 */
export function SmartAsync(options: SmartAsyncOptions = {}): SmartAsyncMethodDecorator {
  const own = parseOrThrow(smartAsyncOptionsSchema, options, '@SmartAsync()');
  return ((...args: unknown[]) =>
    decorateMethod(args, own, (original, info) => smartMethod(original, info, own))) as SmartAsyncMethodDecorator;
}

/**
 * Sets defaults (`timeoutMs`, `timeoutEnv`, `label`) for the `@SmartAsync()` methods of a class
 * and its subclasses; a method's own options win.
 *
 * @throws SmartAsyncConfigError at class definition when an option is invalid.
 * @example
 * @SmartAsyncDefaults({ timeoutEnv: 'INDEXER_TIMEOUT', timeoutMs: 30_000 })
 * class Indexer { @SmartAsync() async reindex() { … } }
 */
export function SmartAsyncDefaults(options: SmartAsyncOptions): SmartAsyncClassDecorator {
  const defaults = parseOrThrow(smartAsyncOptionsSchema, options, '@SmartAsyncDefaults()');
  if (defaults.durable !== undefined)
    throw new SmartAsyncConfigError('@SmartAsyncDefaults(): `durable` is set per method, with @SmartAsync({ durable })');
  return (target) => {
    defineClassDefaults(target, defaults);
    classKnown(target); // standard-mode durable methods learn their class now, not at the first instance
  };
}

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Reads `async_mode` / `job_label` (or camelCase) from the first non-array object argument that
 * has one of them as an own property (a plain args object, or a class instance such as a NestJS
 * DTO), checking their types.
 */
function argsOptions(args: unknown[]): { asyncMode?: boolean; jobLabel?: string } | undefined {
  for (const arg of args) {
    if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) continue;
    if (!own(arg, 'async_mode') && !own(arg, 'asyncMode') && !own(arg, 'job_label') && !own(arg, 'jobLabel')) continue;
    const a = arg as Record<string, unknown>;
    const asyncMode = a.async_mode ?? a.asyncMode;
    const jobLabel = a.job_label ?? a.jobLabel;
    if (asyncMode !== undefined && asyncMode !== null && typeof asyncMode !== 'boolean') {
      throw new SmartAsyncConfigError(`Expected \`async_mode\` to be a boolean, got \`${show(asyncMode)}\``);
    }
    if (jobLabel !== undefined && jobLabel !== null && (typeof jobLabel !== 'string' || jobLabel.length === 0)) {
      throw new SmartAsyncConfigError(`Expected \`job_label\` to be a non-empty string, got \`${show(jobLabel)}\``);
    }
    return {
      asyncMode: (asyncMode as boolean | null | undefined) ?? undefined,
      jobLabel: (jobLabel as string | null | undefined) ?? undefined,
    };
  }
  return undefined;
}

/** A durable method's settings, from `durable: true | { … }`, defaults filled in. */
function durableSettings(
  durable: SmartAsyncOptions['durable'],
): Omit<DurableTarget, 'name' | 'cls' | 'isStatic' | 'method' | 'label'> & { name?: string } {
  const d = durable === true ? {} : (durable as DurableOptions);
  return {
    name: d.name,
    attempts: d.attempts ?? DEFAULT_DURABLE_ATTEMPTS,
    backoff: { ...DEFAULT_BACKOFF, ...d.backoff },
    retryOn: d.retryOn,
  };
}

function smartMethod(original: Method, info: MethodInfo, own: SmartAsyncOptions): Method {
  const perClass = new WeakMap<object, Static>();
  // A durable method is made known to the process once its declaring class is (see MethodInfo.onClass).
  let target: DurableTarget | undefined;
  if (own.durable) {
    const settings = durableSettings(own.durable);
    info.onClass((cls) => {
      const t: DurableTarget = {
        ...settings,
        name: settings.name ?? `${cls.name || 'anonymous'}.${info.name}`,
        cls,
        isStatic: info.isStatic,
        method: original as (...args: unknown[]) => unknown,
        label: own.label ?? `${cls.name || 'anonymous'}.${info.name}`,
      };
      registerTarget(t);
      target = t;
    });
  }
  const resolveStatic = (cls: { name?: string } & object): Static => {
    let s = perClass.get(cls);
    if (!s) {
      const d = getClassDefaults(cls);
      s = {
        label: own.label ?? d?.label ?? `${cls.name || 'anonymous'}.${info.name}`,
        timeoutMs: own.timeoutMs ?? d?.timeoutMs,
        timeoutEnv: own.timeoutEnv ?? d?.timeoutEnv,
      };
      perClass.set(cls, s);
    }
    return s;
  };

  return function smartAsyncMethod(this: unknown, ...args: unknown[]): Promise<unknown> {
    try {
      const scope = currentScope();
      const call = scope?.call;
      const fromArgs = argsOptions(args);
      const asyncMode = fromArgs?.asyncMode ?? call?.asyncMode ?? false;
      // Inside another decorated call's work, that call already has the budget: run plainly,
      // unless this call asks for a job of its own.
      if (scope?.run !== undefined && !asyncMode) return Promise.resolve(original.apply(this, args));
      const cls = (typeof this === 'function' ? this : ((this as object | null | undefined)?.constructor ?? Object)) as object;
      const st = resolveStatic(cls);
      let timeoutMs = call?.timeoutMs;
      if (timeoutMs === undefined && st.timeoutEnv !== undefined) {
        const raw = process.env[st.timeoutEnv];
        if (raw !== undefined && raw !== '') timeoutMs = parseEnvDuration(st.timeoutEnv, raw);
      }
      // A durable call is checked and copied as data now, before any work starts; so are a keyed call's arguments.
      const key = call?.idempotencyKey ?? (own.idempotencyKey ? own.idempotencyKey(...args) : undefined);
      const json = target ? callArgs(args) : undefined;
      const durable = target && {
        call: { target: target.name, args: json! },
        attempts: target.attempts,
        backoff: target.backoff,
        retryOn: target.retryOn,
      };
      return (call?.manager ?? jobManagerFor(this)).launch(() => original.apply(this, args), {
        label: fromArgs?.jobLabel ?? call?.jobLabel ?? st.label,
        timeoutMs: timeoutMs ?? st.timeoutMs,
        asyncMode,
        owner: call?.owner,
        signal: call?.signal,
        onProgress: call?.onProgress,
        durable,
        idempotencyKey: key,
        traceparent: call?.traceparent,
        fingerprint: key !== undefined ? fingerprintOf(json ?? args) : undefined,
      });
    } catch (e) {
      return Promise.reject(e);
    }
  };
}
