/**
 * `smart-async/http`: the asynchronous request-reply pattern for HTTP services. `httpReply()`
 * turns a decorated method's value into `200`, or a ticket into `202` + `Location` +
 * `Retry-After`; `expressJobs()` (Express 4/5) and `fastifyJobs` (Fastify 4/5) serve the jobs
 * routes. Express and Fastify are optional peers; the types are structural, so neither's types
 * are needed to compile. `dashboardHandler()` serves a live jobs page from any Node HTTP app.
 */
export { httpReply, errorReply, activeHeaders, sendNode, type HttpReply, type HttpReplyOptions } from './reply';
export { JobRoutes, JOB_ROUTES, jobsRequest, type JobRoute, type JobRoutesOptions, type JobsRequest } from './routes';
export type { OwnerRule } from './owner';
export { callOptionsOf, type CallOptionsOfOptions } from './call-options';
export { dashboardHandler, type DashboardHandler, type DashboardOptions } from './dashboard';
export { expressJobs, sendExpress, type ExpressLikeRequest, type ExpressLikeResponse, type ExpressLikeRouter } from './express';
export { fastifyJobs, sendFastify, type FastifyLikeInstance, type FastifyLikeReply, type FastifyLikeRequest } from './fastify';
