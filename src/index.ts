// The library API: the same objects the CLI uses.
export { LabError, EXIT, type ErrorCode } from './errors.js';
export { buildPlan, defaultSpec, PROFILES } from './plan/plan.js';
export type { ClusterPlan, ClusterSpec, MemberPlan, EtcdVersion, PortLayout, Profile } from './plan/types.js';
export { renderProcfile, parseProcfile } from './plan/procfile.js';
export { parseConfig } from './plan/config.js';
export { EtcdClient, EtcdRequestError, isEtcdRequestError, type EtcdErrorKind } from './etcd/client.js';
export { startCluster, type StartClusterOptions, type LabCluster, type MemberInfo } from './start-cluster.js';
export type { ReadyFigure } from './supervisor/ready-figure.js';
export type { Lab, FaultResult, Target, DelayTarget } from './chaos/lab.js';
export type { StatusReport, MemberStatus } from './supervisor/status.js';
export type { Operation, RegisterOperation, RegisterInput, RegisterOutput, Outcome } from './check/history.js';
export type { RegisterClient } from './chaos/register-client.js';
