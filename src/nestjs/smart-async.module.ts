import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type FactoryProvider,
  type ModuleMetadata,
  type Provider,
  type Type,
} from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule, DiscoveryService, ModuleRef } from '@nestjs/core';
import { bindJobManager, JobManager, MemoryJobStore, SmartAsyncConfigError, type SmartAsyncLogger } from '../index';
import { jobsController } from './jobs-controller';
import { SMART_ASYNC_MODULE_OPTIONS, type SmartAsyncModuleOptions } from './options';
import { SMART_ASYNC_JOBS_PATH, SmartAsyncTicketInterceptor } from './ticket-interceptor';

/** Options of `SmartAsyncModule.forRootAsync()`. */
export interface SmartAsyncModuleAsyncOptions {
  /** Modules whose providers the factory needs. */
  imports?: ModuleMetadata['imports'];
  /** Tokens the factory receives. */
  inject?: FactoryProvider['inject'];
  /** Makes the options (e.g. from a ConfigService). */
  useFactory: (...args: never[]) => SmartAsyncModuleOptions | Promise<SmartAsyncModuleOptions>;
  /** Where to serve the jobs routes (known when the module is defined, unlike the rest). */
  jobsPath?: string;
}

/**
 * @internal Binds the app's providers and controllers to the app's JobManager (so decorated
 * methods use it, and `overrideProvider(JobManager)` reaches them), and closes it on shutdown.
 */
class SmartAsyncLifecycle {
  private readonly logger = new Logger('SmartAsyncModule');

  constructor(
    private readonly jobs: JobManager,
    private readonly discovery: DiscoveryService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as unknown;
      if (instance === null || typeof instance !== 'object') continue;
      if (instance instanceof JobManager) {
        if (instance !== this.jobs) {
          this.logger.warn(
            `A second JobManager is provided (${String(wrapper.name)}): SmartAsyncModule provides the app's JobManager; remove JobManager from your module's providers, or decorated methods and your injections will see different jobs`,
          );
        }
        continue;
      }
      bindJobManager(instance, this.jobs);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.jobs.close();
  }
}
Inject(JobManager)(SmartAsyncLifecycle, undefined as never, 0);
Inject(DiscoveryService)(SmartAsyncLifecycle, undefined as never, 1);
Injectable()(SmartAsyncLifecycle);

/**
 * A global Nest module that gives the app its `JobManager` (injectable by type:
 * `constructor(private jobs: JobManager)`), the very instance the app's `@SmartAsync()` methods
 * use — per app, so two apps in one process keep their own jobs. Around each HTTP handler, the
 * decorated calls get the requester as `owner` (the `owner` rule) and the request's signal. With
 * `jobsPath`, it serves the jobs routes there and turns a handler's ticket into `202` +
 * `Location` + `Retry-After`.
 * `app.close()` closes the manager: background work gets its grace, the rest is marked stale.
 *
 * @example
 * @Module({ imports: [SmartAsyncModule.forRoot({ store: new FileJobStore({ path: './var/jobs' }), jobsPath: '/jobs', owner: (req: Request) => req.user?.id })] })
 * export class AppModule {}
 */
export class SmartAsyncModule {
  /** @throws SmartAsyncConfigError when `jobsPath` is given without an owner rule. */
  static forRoot(options: SmartAsyncModuleOptions & { jobsPath?: string } = {}): DynamicModule {
    if (options.jobsPath !== undefined && options.owner === undefined) throw noOwner();
    return SmartAsyncModule.build([{ provide: SMART_ASYNC_MODULE_OPTIONS, useValue: options }], options.jobsPath, []);
  }

  /** Options from a factory (a ConfigService, say); `jobsPath` is given beside it. */
  static forRootAsync(options: SmartAsyncModuleAsyncOptions): DynamicModule {
    const provider: FactoryProvider = {
      provide: SMART_ASYNC_MODULE_OPTIONS,
      inject: options.inject ?? [],
      useFactory: async (...args: never[]) => {
        const o = await options.useFactory(...args);
        if (options.jobsPath !== undefined && o.owner === undefined) throw noOwner();
        return o;
      },
    };
    return SmartAsyncModule.build([provider], options.jobsPath, options.imports ?? []);
  }

  private static build(
    optionProviders: Provider[],
    jobsPath: string | undefined,
    imports: NonNullable<ModuleMetadata['imports']>,
  ): DynamicModule {
    const providers: Provider[] = [
      ...optionProviders,
      {
        provide: JobManager,
        inject: [SMART_ASYNC_MODULE_OPTIONS, ModuleRef],
        // A claimed durable job's method runs on the app's own provider, from Nest's injector.
        useFactory: (o: SmartAsyncModuleOptions, moduleRef: ModuleRef) =>
          new JobManager(o.store ?? new MemoryJobStore(), {
            resolveInstance: (cls) => moduleRef.get(cls as Type<object>, { strict: false }),
            ...(o.config?.onWarning === undefined ? { logger: nestLogger() } : {}), // an app's own onWarning keeps the warnings
            ...o.config,
          }),
      },
      SmartAsyncLifecycle,
    ];
    providers.push(
      { provide: SMART_ASYNC_JOBS_PATH, useValue: jobsPath ?? null },
      { provide: APP_INTERCEPTOR, useClass: SmartAsyncTicketInterceptor },
    );
    return {
      module: SmartAsyncModule,
      global: true,
      imports: [DiscoveryModule, ...imports],
      providers,
      controllers: jobsPath !== undefined ? [jobsController(jobsPath)] : [],
      exports: [JobManager, SMART_ASYNC_MODULE_OPTIONS],
    };
  }
}
Global()(SmartAsyncModule);
Module({})(SmartAsyncModule);

/** Nest's `Logger` (context `SmartAsync`) as the manager's logger: warnings, and attempt transitions at debug level. */
function nestLogger(): SmartAsyncLogger {
  const logger = new Logger('SmartAsync');
  const line = (fields: Record<string, unknown>, message: string): string => {
    const { err, ...rest } = fields;
    const shown = Object.entries(rest).filter(([, v]) => v !== undefined);
    const tail = shown.length ? ` ${shown.map(([k, v]) => `${k}=${String(v)}`).join(' ')}` : '';
    return `${message}${tail}${err instanceof Error ? `: ${err.message}` : err !== undefined ? `: ${String(err)}` : ''}`;
  };
  return {
    warn: (fields, message) => logger.warn(line(fields, message)),
    info: (fields, message) => logger.debug(line(fields, message)),
    debug: (fields, message) => logger.verbose(line(fields, message)),
  };
}

function noOwner(): SmartAsyncConfigError {
  return new SmartAsyncConfigError(
    "SmartAsyncModule: `jobsPath` needs an owner rule: `owner: (req) => string | undefined`, or `owner: 'none'` to expose every job (trusted networks only)",
  );
}
