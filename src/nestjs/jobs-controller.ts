import { Controller, Delete, Get, Inject, Req, Res, type Type } from '@nestjs/common';
import { JobManager } from '../index';
import { JobRoutes } from '../http';
import { SMART_ASYNC_MODULE_OPTIONS, type SmartAsyncModuleOptions } from './options';
import { send } from './http-response';

interface Request {
  method: string;
  params: Record<string, string | undefined>;
  query: unknown;
}

/** @internal A controller serving the jobs routes (`smart-async/http`'s) at `path`, made without decorator syntax. */
export function jobsController(path: string): Type<unknown> {
  class SmartAsyncJobsController {
    private readonly routes: JobRoutes<unknown>;

    constructor(jobs: JobManager, options: SmartAsyncModuleOptions) {
      this.routes = new JobRoutes<unknown>({ owner: options.owner as ((req: unknown) => string | undefined) | 'none', manager: jobs, retryAfterSeconds: options.retryAfterSeconds });
    }

    async list(req: Request, res: unknown): Promise<void> {
      send(res, await this.routes.handle(req, { method: req.method, query: (req.query ?? {}) as Record<string, unknown> }));
    }

    async one(req: Request, res: unknown): Promise<void> {
      send(res, await this.routes.handle(req, { method: req.method, id: req.params.id, query: (req.query ?? {}) as Record<string, unknown> }));
    }

    async cancel(req: Request, res: unknown): Promise<void> {
      return this.one(req, res);
    }

    async result(req: Request, res: unknown): Promise<void> {
      send(res, await this.routes.handle(req, { method: req.method, id: req.params.id, sub: 'result', query: {} }));
    }
  }
  const proto = SmartAsyncJobsController.prototype;
  const route = (decorator: MethodDecorator, name: keyof SmartAsyncJobsController): void => {
    decorator(proto, name, Object.getOwnPropertyDescriptor(proto, name)!);
    Req()(proto, name, 0);
    Res()(proto, name, 1);
  };
  route(Get(), 'list');
  route(Get(':id'), 'one');
  route(Delete(':id'), 'cancel');
  route(Get(':id/result'), 'result');
  Inject(JobManager)(SmartAsyncJobsController, undefined as never, 0);
  Inject(SMART_ASYNC_MODULE_OPTIONS)(SmartAsyncJobsController, undefined as never, 1);
  Controller(path)(SmartAsyncJobsController);
  return SmartAsyncJobsController;
}
