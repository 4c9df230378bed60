/**
 * `smart-async/testing`: the store conformance suite. Run it in jest on your own `JobStore`.
 */
export { describeJobStore, type DescribeJobStoreOptions } from './describe-job-store';
