// PURE. Kubernetes: a headless Service, a StatefulSet and a PodDisruptionBudget. The etcd image has no shell
// (distroless), so, as etcd's own StatefulSet guide does, each pod's flags come from Kubernetes' `$(VAR)` expansion
// of its args with POD_NAME (the pod's name, `<statefulset>-<ordinal>`) from the downward API.
import { stringify } from 'yaml';
import { LabError } from '../../errors.js';
import type { HostSpec, HostsPlan } from '../hosts.js';
import { IMAGE_BIN, etcdImage, type ExportFile, type ExportOptions } from './types.js';

export interface KubernetesNames {
  statefulSet: string;
  /** The headless Service: pods are `<statefulSet>-<i>.<service>.<namespace>.svc.<clusterDomain>`. */
  service: string;
  namespace: string;
  clusterDomain: string;
}

export const DEFAULT_KUBERNETES_NAMES: KubernetesNames = { statefulSet: 'etcd', service: 'etcd', namespace: 'default', clusterDomain: 'cluster.local' };

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export function checkKubernetesNames(k: KubernetesNames): void {
  for (const [what, v] of [['--statefulset', k.statefulSet], ['--service', k.service], ['--namespace', k.namespace]] as const) {
    if (!DNS_LABEL.test(v) || v.length > 52) {
      throw new LabError('USAGE', `${what} "${v}" is not a Kubernetes name (lower-case letters, digits and "-", at most 52 characters)`);
    }
  }
}

/** The service's domain: the headless Service publishes an SRV record per named port under it. */
export function serviceDomain(k: KubernetesNames): string {
  return `${k.service}.${k.namespace}.svc.${k.clusterDomain}`;
}

/** The hosts of a StatefulSet of `n` pods: each pod's stable DNS name, member named like its pod. */
export function kubernetesHosts(n: number, k: KubernetesNames): HostSpec[] {
  checkKubernetesNames(k);
  return Array.from({ length: n }, (_, i) => ({ name: `${k.statefulSet}-${i}`, address: `${k.statefulSet}-${i}.${serviceDomain(k)}`, where: `pod ${i}` }));
}

/** Member 0's args with its pod name made `$(POD_NAME)` (the initial cluster names every pod and stays as it is). */
export function podArgs(plan: HostsPlan): string[] {
  const m0 = plan.members[0]!;
  const out: string[] = [];
  for (let i = 0; i < m0.args.length; i++) {
    const a = m0.args[i]!;
    const flag = m0.args[i - 1];
    out.push(flag === '--initial-cluster' ? a : a.split(m0.name).join('$(POD_NAME)'));
  }
  return out;
}

/** The metrics port a TLS pod serves plain-HTTP /health on for its probes (the client port requires a client certificate). */
export const K8S_METRICS_PORT = 2381;

/** Secret keys of the certificates a pod needs: the CA, and per member its server and peer pair. */
export function pkiSecretItems(plan: HostsPlan): { key: string; path: string }[] {
  return [
    { key: 'ca.crt', path: 'ca.crt' },
    ...plan.members.flatMap((m) => ['server.crt', 'server.key', 'peer.crt', 'peer.key'].map((f) => ({ key: `${m.name}.${f}`, path: `${m.name}/${f}` }))),
  ];
}

export interface KubernetesOptions extends Pick<ExportOptions, 'generator'> {
  storage?: string;
  /** With TLS: the files of the plan's pki folder by path relative to it (`ca.crt`, `etcd-0/server.crt`, ...). */
  pki?: Record<string, string>;
}

export function kubernetesManifest(plan: HostsPlan, k: KubernetesNames, opts: KubernetesOptions): string {
  const pki = opts.pki;
  if (plan.tls && !pki) throw new LabError('INTERNAL', 'a TLS Kubernetes manifest needs the certificates');
  const expected = kubernetesHosts(plan.members.length, k).map((h) => h.name);
  if (plan.members.some((m, i) => m.name !== expected[i])) {
    throw new LabError('INTERNAL', 'the Kubernetes manifest needs a plan made from kubernetesHosts()');
  }
  const labels = { 'app.kubernetes.io/name': 'etcd', 'app.kubernetes.io/instance': k.statefulSet };
  const m0 = plan.members[0]!;
  // With TLS the client port wants a client certificate: the probes use /health on the plain-HTTP metrics port.
  const probePort = plan.tls ? K8S_METRICS_PORT : m0.clientPort;
  const secret = pki
    ? {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secretName(k), namespace: k.namespace, labels },
        type: 'Opaque',
        data: Object.fromEntries(
          pkiSecretItems(plan).map((it) => {
            const text = pki[it.path];
            if (text === undefined) throw new LabError('INTERNAL', `the certificates lack ${it.path}`);
            return [it.key, Buffer.from(text).toString('base64')];
          }),
        ),
      }
    : null;
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: k.service, namespace: k.namespace, labels },
    spec: {
      clusterIP: 'None',
      // Peers must find each other before any of them is ready.
      publishNotReadyAddresses: true,
      selector: labels,
      // Named etcd-client/etcd-server: the headless Service then publishes the SRV records --discovery-srv asks for.
      ports: [
        { name: 'etcd-client', port: m0.clientPort, targetPort: m0.clientPort },
        { name: 'etcd-server', port: m0.peerPort, targetPort: m0.peerPort },
      ],
    },
  };
  const statefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: k.statefulSet, namespace: k.namespace, labels },
    spec: {
      serviceName: k.service,
      replicas: plan.members.length,
      // A new cluster elects a leader only once a majority runs: start every pod at once.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'etcd',
              image: etcdImage(plan.etcdVersion.text),
              command: [`${IMAGE_BIN}/etcd`],
              args: [...podArgs(plan), ...(plan.tls ? ['--listen-metrics-urls', `http://0.0.0.0:${K8S_METRICS_PORT}`] : [])],
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [
                { name: 'client', containerPort: m0.clientPort },
                { name: 'peer', containerPort: m0.peerPort },
                ...(plan.tls ? [{ name: 'metrics', containerPort: K8S_METRICS_PORT }] : []),
              ],
              volumeMounts: [{ name: 'data', mountPath: m0.dataDir }, ...(plan.tls ? [{ name: 'pki', mountPath: plan.tls.dir, readOnly: true }] : [])],
              readinessProbe: { httpGet: { path: '/health', port: probePort }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: '/health', port: probePort }, initialDelaySeconds: 30, periodSeconds: 10, failureThreshold: 6 },
            },
          ],
          ...(plan.tls ? { volumes: [{ name: 'pki', secret: { secretName: secretName(k), defaultMode: 0o400, items: pkiSecretItems(plan) } }] } : {}),
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: opts.storage ?? '1Gi' } } },
        },
      ],
    },
  };
  const pdb = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: k.statefulSet, namespace: k.namespace, labels },
    // Voluntary evictions never take the cluster below quorum.
    spec: { minAvailable: plan.quorum, selector: { matchLabels: labels } },
  };
  const header = `# ${plan.members.length} etcd ${plan.etcdVersion.text} members (quorum ${plan.quorum}) as a StatefulSet, generated by etcd-lab ${opts.generator}.\n# kubectl apply -f etcd.yaml; then: kubectl exec ${k.statefulSet}-0 -- etcdctl endpoint status --cluster -w table\n`;
  const tlsNote = plan.tls ? `# TLS: the Secret ${secretName(k)} holds the CA and every pod's certificates (each pod mounts them all, uses its own); etcdctl needs pki/client.* from the export.\n` : '';
  return header + tlsNote + [...(secret ? [secret] : []), service, statefulSet, pdb].map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}

export function secretName(k: KubernetesNames): string {
  return `${k.statefulSet}-pki`;
}

export function kubernetesExport(plan: HostsPlan, k: KubernetesNames, opts: ExportOptions & { pki?: Record<string, string> }): ExportFile[] {
  return [{ path: 'etcd.yaml', text: kubernetesManifest(plan, k, opts) }];
}
