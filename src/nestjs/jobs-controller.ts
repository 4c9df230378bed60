import { Controller, Delete, Get, Post, Inject, Req, Res, type Type } from '@nestjs/common';
import { JobManager } from '../index';
import { JOB_ROUTES, jobsRequest, JobRoutes, type OwnerRule } from '../http';
import { SMART_ASYNC_MODULE_OPTIONS, type SmartAsyncModuleOptions } from './options';
import { send } from './http-response';

/** @internal A controller serving the jobs routes (`smart-async/http`'s route table) at `path`, made without decorator syntax. */
export function jobsController(path: string): Type<unknown> {
  class SmartAsyncJobsController {
    readonly routes: JobRoutes<unknown>;

    constructor(jobs: JobManager, options: SmartAsyncModuleOptions) {
      this.routes = new JobRoutes<unknown>({
        owner: options.owner as OwnerRule<unknown>,
        manager: jobs,
        retryAfterSeconds: options.retryAfterSeconds,
      });
    }
  }
  const proto = SmartAsyncJobsController.prototype as unknown as Record<string, unknown>;
  JOB_ROUTES.forEach((route, i) => {
    const name = `route${i}`;
    proto[name] = async function (this: SmartAsyncJobsController, req: { params?: unknown; query?: unknown }, res: unknown): Promise<void> {
      send(res, await this.routes.handle(req, jobsRequest(route, req)));
    };
    ({ GET: Get, DELETE: Delete, POST: Post })[route.method](route.path)(proto, name, Object.getOwnPropertyDescriptor(proto, name)!);
    Req()(proto, name, 0);
    Res()(proto, name, 1);
  });
  Inject(JobManager)(SmartAsyncJobsController, undefined as never, 0);
  Inject(SMART_ASYNC_MODULE_OPTIONS)(SmartAsyncJobsController, undefined as never, 1);
  Controller(path)(SmartAsyncJobsController);
  return SmartAsyncJobsController;
}
