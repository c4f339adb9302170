#!/usr/bin/env python3
"""Generate a synthetic but realistic Kubernetes manifest corpus for benchmarks.

The corpus mixes the kinds a real repository holds (Deployments, StatefulSets,
DaemonSets, CronJobs, Jobs, Pods, Services of every type, Ingresses,
ConfigMaps, Secrets, ServiceAccounts, NetworkPolicies, Roles, ClusterRoles and
their bindings), with a spread of secure and insecure settings (privileged
containers, hostPath mounts, host namespaces, missing limits, `latest` tags,
credentials in env, wildcard RBAC rules, ...), comments, quoted and block
scalars, anchors-free YAML as people write it.

Objects are written as multi-document YAML files, OBJECTS_PER_FILE per file,
spread over sub-directories (one per "team"), so a scan walks a tree the way
it would in a monorepo. The output is byte-for-byte deterministic for a given
(count, seed, per-file) triple.

Usage:
    python3 bench/generate.py OUT_DIR [--count 100000] [--seed 42] [--per-file 100]

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys

TEAMS = [
    "payments", "checkout", "catalog", "search", "identity", "billing",
    "shipping", "inventory", "analytics", "platform", "observability",
    "notifications", "recommendations", "media", "gateway", "data",
]

REGISTRIES = [
    "", "docker.io/library/", "ghcr.io/acme/", "quay.io/acme/",
    "registry.k8s.io/", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/",
    "gcr.io/acme-prod/", "registry.internal.acme.io/",
]

IMAGES = [
    ("nginx", ["1.25.3", "1.27.0-alpine", "latest", "stable"]),
    ("redis", ["7.2.4", "7.2-alpine", "latest"]),
    ("postgres", ["16.2", "15.6-bookworm", "latest"]),
    ("busybox", ["1.36", "latest"]),
    ("envoyproxy/envoy", ["v1.29.1", "v1.30-latest"]),
    ("prom/prometheus", ["v2.51.0", "latest"]),
    ("grafana/grafana", ["10.4.1", "latest"]),
    ("bitnami/kafka", ["3.7.0", "3.6"]),
    ("fluent/fluent-bit", ["3.0.2", "2.2"]),
    ("python", ["3.12-slim", "3.11", "latest"]),
    ("node", ["20-alpine", "18.19.1", "lts"]),
    ("golang", ["1.22", "1.21-alpine"]),
    ("api-server", ["v4.12.0", "v4.13.0-rc1", "latest", "main"]),
    ("worker", ["2024.03.1", "sha-3f9a2c1", "latest"]),
    ("frontend", ["v2.8.3", "latest"]),
]

ENV_PLAIN = [
    ("LOG_LEVEL", ["info", "debug", "warn"]),
    ("PORT", ["8080", "3000", "9090"]),
    ("REGION", ["eu-west-1", "us-east-1", "ap-southeast-2"]),
    ("FEATURE_FLAGS", ["new-checkout,fast-search", "none"]),
    ("JAVA_OPTS", ["-Xms256m -Xmx512m", "-XX:+UseG1GC"]),
    ("GOMAXPROCS", ["2", "4"]),
]

ENV_SECRETS = [
    ("DB_PASSWORD", "s3cr3t-Passw0rd!"),
    ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
    ("API_TOKEN", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("STRIPE_KEY", "sk_live_51H8xExampleExampleExample00"),
    ("REDIS_PASSWORD", "hunter2"),
]

HOST_PATHS = ["/var/run/docker.sock", "/", "/etc", "/var/log", "/proc",
              "/run/containerd/containerd.sock", "/data/cache", "/var/lib/kubelet"]

CAPS = ["NET_ADMIN", "SYS_ADMIN", "NET_RAW", "SYS_PTRACE", "CHOWN",
        "NET_BIND_SERVICE", "ALL", "SYS_TIME"]

COMMENTS = [
    "# Managed by platform team; do not edit by hand.",
    "# TODO: tighten security context before GA",
    "# Generated from template v3 -- see README",
    "# NOTE: limits tuned after load test 2024-02",
    "# FIXME(ops): move secrets to external-secrets",
    "# Reviewed by security 2024-01-15",
]

# (kind, weight)
KINDS = [
    ("Deployment", 22), ("Service", 16), ("ConfigMap", 12), ("StatefulSet", 5),
    ("DaemonSet", 3), ("CronJob", 4), ("Job", 2), ("Pod", 4), ("Ingress", 6),
    ("ServiceAccount", 6), ("Secret", 4), ("NetworkPolicy", 3), ("Role", 3),
    ("RoleBinding", 3), ("ClusterRole", 2), ("ClusterRoleBinding", 2),
    ("HorizontalPodAutoscaler", 2), ("PodDisruptionBudget", 1),
]


def q(value: str) -> str:
    """Quote a string for YAML with double quotes (JSON-compatible escaping)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        kinds, weights = zip(*KINDS)
        self.kinds = list(kinds)
        self.weights = list(weights)

    # -- helpers -----------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def name(self, team: str, i: int) -> str:
        suffix = self.pick(["api", "worker", "web", "cache", "db", "sync",
                            "gateway", "cron", "agent", "exporter", "ui", "auth"])
        return f"{team}-{suffix}-{i}"

    def metadata(self, out: list[str], name: str, ns: str | None, team: str,
                 indent: str = "", extra_annotations: list[str] | None = None) -> None:
        out.append(f"{indent}metadata:")
        out.append(f"{indent}  name: {name}")
        if ns is not None:
            out.append(f"{indent}  namespace: {ns}")
        out.append(f"{indent}  labels:")
        out.append(f"{indent}    app.kubernetes.io/name: {name}")
        out.append(f"{indent}    app.kubernetes.io/part-of: {team}")
        out.append(f"{indent}    app.kubernetes.io/managed-by: {self.pick(['helm', 'kustomize', 'argocd'])}")
        if self.chance(0.5):
            out.append(f"{indent}    tier: {self.pick(['frontend', 'backend', 'data'])}")
        annotations = list(extra_annotations or [])
        if self.chance(0.3):
            annotations.append(f"owner: {q(team + '@acme.io')}")
        if self.chance(0.05):
            annotations.append("palisade.io/ignore: POD-001")
        if annotations:
            out.append(f"{indent}  annotations:")
            for a in annotations:
                out.append(f"{indent}    {a}")

    def image(self) -> str:
        repo, tags = self.pick(IMAGES)
        reg = self.pick(REGISTRIES)
        if self.chance(0.08):
            return reg + repo  # no tag at all
        if self.chance(0.1):
            digest = "".join(self.pick("0123456789abcdef") for _ in range(64))
            return f"{reg}{repo}@sha256:{digest}"
        return f"{reg}{repo}:{self.pick(tags)}"

    # -- pod spec ----------------------------------------------------------
    def container(self, out: list[str], ind: str, name: str, insecure: float,
                  init: bool = False) -> None:
        r = self
        out.append(f"{ind}- name: {name}")
        out.append(f"{ind}  image: {r.image()}")
        if r.chance(0.6):
            out.append(f"{ind}  imagePullPolicy: {r.pick(['IfNotPresent', 'Always', 'Never'])}")
        if r.chance(0.3):
            out.append(f"{ind}  command: [\"/bin/sh\", \"-c\"]")
            out.append(f"{ind}  args:")
            out.append(f"{ind}    - |")
            out.append(f"{ind}      echo starting {name}")
            out.append(f"{ind}      exec /app/run --config /etc/app/config.yaml")
        if not init and r.chance(0.8):
            out.append(f"{ind}  ports:")
            for _ in range(r.r.randint(1, 2)):
                port = r.pick([80, 443, 8080, 8443, 9090, 3000, 5432, 6379])
                out.append(f"{ind}    - containerPort: {port}")
                out.append(f"{ind}      protocol: TCP")
                if r.chance(insecure * 0.15):
                    out.append(f"{ind}      hostPort: {port}")
        if r.chance(0.75):
            out.append(f"{ind}  env:")
            for _ in range(r.r.randint(1, 4)):
                k, vals = r.pick(ENV_PLAIN)
                out.append(f"{ind}    - name: {k}")
                out.append(f"{ind}      value: {q(r.pick(vals))}")
            if r.chance(insecure * 0.4):
                k, v = r.pick(ENV_SECRETS)
                out.append(f"{ind}    - name: {k}  # FIXME: use a secretKeyRef")
                out.append(f"{ind}      value: {q(v)}")
            if r.chance(0.4):
                out.append(f"{ind}    - name: DATABASE_PASSWORD")
                out.append(f"{ind}      valueFrom:")
                out.append(f"{ind}        secretKeyRef:")
                out.append(f"{ind}          name: db-credentials")
                out.append(f"{ind}          key: password")
            if r.chance(0.3):
                out.append(f"{ind}    - name: POD_IP")
                out.append(f"{ind}      valueFrom:")
                out.append(f"{ind}        fieldRef:")
                out.append(f"{ind}          fieldPath: status.podIP")
        if r.chance(0.2):
            out.append(f"{ind}  envFrom:")
            out.append(f"{ind}    - configMapRef:")
            out.append(f"{ind}        name: {name}-config")
        # resources
        if not r.chance(insecure * 0.5):
            out.append(f"{ind}  resources:")
            out.append(f"{ind}    requests:")
            out.append(f"{ind}      cpu: {r.pick(['50m', '100m', '250m', '500m', '1'])}")
            out.append(f"{ind}      memory: {r.pick(['64Mi', '128Mi', '256Mi', '1Gi'])}")
            if not r.chance(insecure * 0.5):
                out.append(f"{ind}    limits:")
                if r.chance(0.6):
                    out.append(f"{ind}      cpu: {r.pick(['200m', '500m', '1', '2'])}")
                out.append(f"{ind}      memory: {r.pick(['128Mi', '512Mi', '1Gi', '2Gi'])}")
        # probes
        if not init and r.chance(0.6):
            for probe in ("livenessProbe", "readinessProbe"):
                if r.chance(0.8):
                    out.append(f"{ind}  {probe}:")
                    if r.chance(0.7):
                        out.append(f"{ind}    httpGet:")
                        out.append(f"{ind}      path: /{'healthz' if probe[0] == 'l' else 'ready'}")
                        out.append(f"{ind}      port: {r.pick([8080, 'http', 9090])}")
                    else:
                        out.append(f"{ind}    tcpSocket:")
                        out.append(f"{ind}      port: {r.pick([8080, 5432, 6379])}")
                    out.append(f"{ind}    initialDelaySeconds: {r.r.randint(0, 30)}")
                    out.append(f"{ind}    periodSeconds: {r.pick([5, 10, 15])}")
        # security context
        if r.chance(insecure):
            out.append(f"{ind}  securityContext:")
            if r.chance(0.3):
                out.append(f"{ind}    privileged: true")
            if r.chance(0.4):
                out.append(f"{ind}    allowPrivilegeEscalation: true")
            if r.chance(0.3):
                out.append(f"{ind}    runAsUser: 0")
            if r.chance(0.3):
                out.append(f"{ind}    capabilities:")
                out.append(f"{ind}      add: [{', '.join(r.r.sample(CAPS, r.r.randint(1, 3)))}]")
            if r.chance(0.2):
                out.append(f"{ind}    readOnlyRootFilesystem: false")
            if r.chance(0.1):
                out.append(f"{ind}    procMount: Unmasked")
            if r.chance(0.1):
                out.append(f"{ind}    seccompProfile:")
                out.append(f"{ind}      type: Unconfined")
            # always leave at least one key
            out.append(f"{ind}    runAsNonRoot: {r.pick(['false', 'true'])}")
        elif r.chance(0.85):
            out.append(f"{ind}  securityContext:")
            out.append(f"{ind}    allowPrivilegeEscalation: false")
            out.append(f"{ind}    readOnlyRootFilesystem: true")
            out.append(f"{ind}    runAsNonRoot: true")
            out.append(f"{ind}    runAsUser: {r.pick([1000, 10001, 65532])}")
            out.append(f"{ind}    capabilities:")
            out.append(f"{ind}      drop: [\"ALL\"]")
            if r.chance(0.3):
                out.append(f"{ind}      add: [\"NET_BIND_SERVICE\"]")
            out.append(f"{ind}    seccompProfile:")
            out.append(f"{ind}      type: RuntimeDefault")
        if r.chance(0.5):
            out.append(f"{ind}  volumeMounts:")
            out.append(f"{ind}    - name: config")
            out.append(f"{ind}      mountPath: /etc/app")
            out.append(f"{ind}      readOnly: true")
            if r.chance(0.4):
                out.append(f"{ind}    - name: data")
                out.append(f"{ind}      mountPath: /data")

    def pod_spec(self, out: list[str], ind: str, name: str, insecure: float,
                 restart: str | None = None) -> None:
        r = self
        out.append(f"{ind}spec:")
        s = ind + "  "
        if restart:
            out.append(f"{s}restartPolicy: {restart}")
        if r.chance(0.6):
            out.append(f"{s}serviceAccountName: {name}")
        if r.chance(0.3):
            out.append(f"{s}automountServiceAccountToken: {r.pick(['false', 'true'])}")
        if r.chance(insecure * 0.2):
            out.append(f"{s}hostNetwork: true")
        if r.chance(insecure * 0.1):
            out.append(f"{s}hostPID: true")
        if r.chance(insecure * 0.08):
            out.append(f"{s}hostIPC: true")
        if r.chance(0.5) and not r.chance(insecure):
            out.append(f"{s}securityContext:")
            out.append(f"{s}  runAsNonRoot: true")
            out.append(f"{s}  runAsUser: {r.pick([1000, 10001, 65532])}")
            out.append(f"{s}  fsGroup: 2000")
            out.append(f"{s}  seccompProfile:")
            out.append(f"{s}    type: RuntimeDefault")
        elif r.chance(insecure * 0.1):
            out.append(f"{s}securityContext:")
            out.append(f"{s}  sysctls:")
            out.append(f"{s}    - name: net.core.somaxconn")
            out.append(f"{s}      value: \"1024\"")
        if r.chance(0.3):
            out.append(f"{s}nodeSelector:")
            out.append(f"{s}  kubernetes.io/os: linux")
        if r.chance(0.2):
            out.append(f"{s}tolerations:")
            out.append(f"{s}  - key: dedicated")
            out.append(f"{s}    operator: Equal")
            out.append(f"{s}    value: {name}")
            out.append(f"{s}    effect: NoSchedule")
        if r.chance(0.15):
            out.append(f"{s}affinity:")
            out.append(f"{s}  podAntiAffinity:")
            out.append(f"{s}    preferredDuringSchedulingIgnoredDuringExecution:")
            out.append(f"{s}      - weight: 100")
            out.append(f"{s}        podAffinityTerm:")
            out.append(f"{s}          topologyKey: kubernetes.io/hostname")
            out.append(f"{s}          labelSelector:")
            out.append(f"{s}            matchLabels:")
            out.append(f"{s}              app.kubernetes.io/name: {name}")
        if r.chance(0.2):
            out.append(f"{s}initContainers:")
            self.container(out, s + "  ", "init-migrate", insecure, init=True)
        out.append(f"{s}containers:")
        self.container(out, s + "  ", name.rsplit("-", 1)[0], insecure)
        if r.chance(0.25):
            self.container(out, s + "  ", r.pick(["sidecar", "envoy", "log-shipper"]), insecure)
        if r.chance(0.6):
            out.append(f"{s}volumes:")
            out.append(f"{s}  - name: config")
            out.append(f"{s}    configMap:")
            out.append(f"{s}      name: {name}-config")
            if r.chance(insecure * 0.4):
                out.append(f"{s}  - name: data")
                out.append(f"{s}    hostPath:")
                out.append(f"{s}      path: {r.pick(HOST_PATHS)}")
                if r.chance(0.5):
                    out.append(f"{s}      type: {r.pick(['Directory', 'Socket', 'DirectoryOrCreate'])}")
            elif r.chance(0.5):
                out.append(f"{s}  - name: data")
                out.append(f"{s}    emptyDir:")
                out.append(f"{s}      sizeLimit: 1Gi")

    # -- kinds -------------------------------------------------------------
    def workload(self, out, kind, name, ns, team, insecure):
        r = self
        api = "batch/v1" if kind in ("CronJob", "Job") else "apps/v1"
        out.append(f"apiVersion: {api}")
        out.append(f"kind: {kind}")
        self.metadata(out, name, ns, team)
        out.append("spec:")
        if kind in ("Deployment", "StatefulSet"):
            out.append(f"  replicas: {r.pick([1, 2, 3, 3, 5, 10])}")
        if kind == "StatefulSet":
            out.append(f"  serviceName: {name}")
        if kind == "Deployment" and r.chance(0.4):
            out.append("  strategy:")
            out.append("    type: RollingUpdate")
            out.append("    rollingUpdate:")
            out.append("      maxSurge: 25%")
            out.append("      maxUnavailable: 0")
        if kind in ("CronJob",):
            out.append(f"  schedule: {q(r.pick(['*/5 * * * *', '0 3 * * *', '@hourly']))}")
            out.append(f"  concurrencyPolicy: {r.pick(['Forbid', 'Allow', 'Replace'])}")
            out.append("  jobTemplate:")
            out.append("    spec:")
            out.append(f"      backoffLimit: {r.r.randint(0, 6)}")
            out.append("      template:")
            out.append("        metadata:")
            out.append("          labels:")
            out.append(f"            app.kubernetes.io/name: {name}")
            self.pod_spec(out, "        ", name, insecure, restart="OnFailure")
            return
        if kind == "Job":
            out.append(f"  backoffLimit: {r.r.randint(0, 6)}")
            out.append(f"  ttlSecondsAfterFinished: {r.pick([60, 3600, 86400])}")
            out.append("  template:")
            self.pod_spec(out, "    ", name, insecure, restart="Never")
            return
        out.append("  selector:")
        out.append("    matchLabels:")
        out.append(f"      app.kubernetes.io/name: {name}")
        out.append("  template:")
        out.append("    metadata:")
        out.append("      labels:")
        out.append(f"        app.kubernetes.io/name: {name}")
        if r.chance(0.3):
            out.append("      annotations:")
            out.append("        prometheus.io/scrape: \"true\"")
            out.append("        prometheus.io/port: \"9090\"")
        self.pod_spec(out, "    ", name, insecure)
        if kind == "StatefulSet" and r.chance(0.8):
            out.append("  volumeClaimTemplates:")
            out.append("    - metadata:")
            out.append("        name: data")
            out.append("      spec:")
            out.append("        accessModes: [\"ReadWriteOnce\"]")
            out.append(f"        storageClassName: {r.pick(['gp3', 'standard', 'premium-rwo'])}")
            out.append("        resources:")
            out.append("          requests:")
            out.append(f"            storage: {r.pick(['10Gi', '50Gi', '200Gi'])}")

    def pod(self, out, name, ns, team, insecure):
        out.append("apiVersion: v1")
        out.append("kind: Pod")
        self.metadata(out, name, ns, team)
        self.pod_spec(out, "", name, insecure)

    def service(self, out, name, ns, team, insecure):
        r = self
        typ = r.pick(["ClusterIP"] * 5 + ["NodePort"] * 2 + ["LoadBalancer"] * 2 + ["ExternalName"])
        ann = []
        if typ == "LoadBalancer" and r.chance(0.5):
            ann.append('service.beta.kubernetes.io/aws-load-balancer-internal: "true"')
        out.append("apiVersion: v1")
        out.append("kind: Service")
        self.metadata(out, name, ns, team, extra_annotations=ann)
        out.append("spec:")
        out.append(f"  type: {typ}")
        if typ == "ExternalName":
            out.append(f"  externalName: {name}.{team}.svc.example.com")
            return
        out.append("  selector:")
        out.append(f"    app.kubernetes.io/name: {name}")
        if typ == "ClusterIP" and r.chance(0.1):
            out.append("  clusterIP: None")
        if typ == "LoadBalancer" and r.chance(0.3):
            out.append("  loadBalancerSourceRanges:")
            out.append("    - 10.0.0.0/8")
        if r.chance(insecure * 0.1):
            out.append("  externalIPs:")
            out.append(f"    - 203.0.113.{r.r.randint(1, 254)}")
        out.append("  ports:")
        for pname, port in r.r.sample([("http", 80), ("https", 443), ("grpc", 9090), ("metrics", 9100)], r.r.randint(1, 2)):
            out.append(f"    - name: {pname}")
            out.append(f"      port: {port}")
            out.append(f"      targetPort: {r.pick([8080, pname])}")
            out.append("      protocol: TCP")
            if typ == "NodePort" and r.chance(0.5):
                out.append(f"      nodePort: {r.r.randint(30000, 32767)}")

    def ingress(self, out, name, ns, team, insecure):
        r = self
        ann = []
        if r.chance(0.5):
            ann.append('nginx.ingress.kubernetes.io/ssl-redirect: "true"')
        if r.chance(insecure * 0.1):
            ann.append("nginx.ingress.kubernetes.io/server-snippet: |")
            ann.append("      location /admin { allow all; }")
        out.append("apiVersion: networking.k8s.io/v1")
        out.append("kind: Ingress")
        self.metadata(out, name, ns, team, extra_annotations=ann)
        out.append("spec:")
        out.append(f"  ingressClassName: {r.pick(['nginx', 'alb', 'traefik'])}")
        host = f"{name}.{team}.acme.io"
        if r.chance(0.7):
            out.append("  tls:")
            out.append("    - hosts:")
            out.append(f"        - {host}")
            out.append(f"      secretName: {name}-tls")
        out.append("  rules:")
        out.append(f"    - host: {host}")
        out.append("      http:")
        out.append("        paths:")
        for path in r.r.sample(["/", "/api", "/static", "/admin", "/v1"], r.r.randint(1, 3)):
            out.append(f"          - path: {path}")
            out.append("            pathType: Prefix")
            out.append("            backend:")
            out.append("              service:")
            out.append(f"                name: {name}")
            out.append("                port:")
            out.append(f"                  number: {r.pick([80, 443, 8080])}")

    def configmap(self, out, name, ns, team, insecure):
        r = self
        out.append("apiVersion: v1")
        out.append("kind: ConfigMap")
        self.metadata(out, name + "-config", ns, team)
        out.append("data:")
        out.append(f"  LOG_LEVEL: {r.pick(['info', 'debug'])}")
        out.append(f"  MAX_CONNECTIONS: \"{r.r.randint(10, 500)}\"")
        if r.chance(insecure * 0.3):
            out.append(f"  DB_PASSWORD: {q(r.pick(ENV_SECRETS)[1])}")
        out.append("  config.yaml: |")
        out.append("    server:")
        out.append(f"      port: {r.pick([8080, 9090])}")
        out.append(f"      timeout: {r.r.randint(1, 60)}s")
        out.append("    database:")
        out.append(f"      host: {team}-db.{ns}.svc.cluster.local")
        out.append("      pool: 20")
        if r.chance(0.3):
            out.append("  nginx.conf: |")
            out.append("    worker_processes auto;")
            out.append("    events { worker_connections 1024; }")
            out.append("    http {")
            out.append("      server { listen 8080; location / { proxy_pass http://127.0.0.1:3000; } }")
            out.append("    }")

    def secret(self, out, name, ns, team, insecure):
        r = self
        out.append("apiVersion: v1")
        out.append("kind: Secret")
        self.metadata(out, name + "-credentials", ns, team)
        out.append(f"type: {r.pick(['Opaque', 'kubernetes.io/tls', 'kubernetes.io/dockerconfigjson'])}")
        out.append("data:")
        out.append("  username: YWRtaW4=")
        out.append("  password: czNjcjN0LVBhc3N3MHJkIQ==")

    def service_account(self, out, name, ns, team, insecure):
        out.append("apiVersion: v1")
        out.append("kind: ServiceAccount")
        self.metadata(out, name, ns, team)
        if self.chance(0.4):
            out.append("automountServiceAccountToken: false")

    def network_policy(self, out, name, ns, team, insecure):
        r = self
        out.append("apiVersion: networking.k8s.io/v1")
        out.append("kind: NetworkPolicy")
        self.metadata(out, name, ns, team)
        out.append("spec:")
        if r.chance(0.3):
            out.append("  podSelector: {}")
            out.append("  policyTypes: [\"Ingress\", \"Egress\"]")
            return
        out.append("  podSelector:")
        out.append("    matchLabels:")
        out.append(f"      app.kubernetes.io/name: {name}")
        out.append("  policyTypes:")
        out.append("    - Ingress")
        out.append("  ingress:")
        out.append("    - from:")
        out.append("        - namespaceSelector:")
        out.append("            matchLabels:")
        out.append(f"              kubernetes.io/metadata.name: {r.pick(TEAMS)}")
        out.append("      ports:")
        out.append("        - protocol: TCP")
        out.append(f"          port: {r.pick([80, 8080, 9090])}")

    def rules(self, out, insecure):
        r = self
        out.append("rules:")
        if r.chance(insecure * 0.3):
            out.append("  - apiGroups: [\"*\"]")
            out.append("    resources: [\"*\"]")
            out.append("    verbs: [\"*\"]")
        if r.chance(insecure * 0.3):
            out.append("  - apiGroups: [\"\"]")
            out.append("    resources: [\"secrets\"]")
            out.append("    verbs: [\"get\", \"list\", \"watch\"]")
        if r.chance(insecure * 0.15):
            out.append("  - apiGroups: [\"\"]")
            out.append("    resources: [\"pods/exec\", \"pods/attach\"]")
            out.append("    verbs: [\"create\"]")
        if r.chance(insecure * 0.1):
            out.append("  - apiGroups: [\"rbac.authorization.k8s.io\"]")
            out.append("    resources: [\"clusterroles\", \"roles\"]")
            out.append("    verbs: [\"escalate\", \"bind\"]")
        out.append("  - apiGroups: [\"\"]")
        out.append(f"    resources: [{', '.join(q(x) for x in r.r.sample(['pods', 'services', 'configmaps', 'endpoints', 'events'], 2))}]")
        out.append("    verbs: [\"get\", \"list\", \"watch\"]")
        if r.chance(0.4):
            out.append("  - apiGroups:")
            out.append("      - apps")
            out.append("    resources:")
            out.append("      - deployments")
            out.append("      - statefulsets")
            out.append("    verbs:")
            out.append("      - get")
            out.append("      - list")
            if r.chance(insecure):
                out.append("      - patch")
                out.append("      - delete")

    def role(self, out, name, ns, team, insecure, cluster=False):
        out.append("apiVersion: rbac.authorization.k8s.io/v1")
        out.append(f"kind: {'ClusterRole' if cluster else 'Role'}")
        self.metadata(out, name, None if cluster else ns, team)
        self.rules(out, insecure)

    def binding(self, out, name, ns, team, insecure, cluster=False):
        r = self
        out.append("apiVersion: rbac.authorization.k8s.io/v1")
        out.append(f"kind: {'ClusterRoleBinding' if cluster else 'RoleBinding'}")
        self.metadata(out, name, None if cluster else ns, team)
        out.append("roleRef:")
        out.append("  apiGroup: rbac.authorization.k8s.io")
        ref_kind = "ClusterRole" if cluster or r.chance(0.3) else "Role"
        out.append(f"  kind: {ref_kind}")
        if r.chance(insecure * 0.2):
            out.append(f"  name: {r.pick(['cluster-admin', 'admin', 'edit'])}")
        else:
            out.append(f"  name: {name}")
        out.append("subjects:")
        out.append("  - kind: ServiceAccount")
        out.append(f"    name: {name}")
        out.append(f"    namespace: {ns}")
        if r.chance(insecure * 0.05):
            out.append("  - kind: Group")
            out.append("    apiGroup: rbac.authorization.k8s.io")
            out.append(f"    name: {r.pick(['system:authenticated', 'system:unauthenticated', 'system:serviceaccounts'])}")

    def hpa(self, out, name, ns, team, insecure):
        r = self
        out.append("apiVersion: autoscaling/v2")
        out.append("kind: HorizontalPodAutoscaler")
        self.metadata(out, name, ns, team)
        out.append("spec:")
        out.append("  scaleTargetRef:")
        out.append("    apiVersion: apps/v1")
        out.append("    kind: Deployment")
        out.append(f"    name: {name}")
        out.append(f"  minReplicas: {r.r.randint(1, 3)}")
        out.append(f"  maxReplicas: {r.r.randint(4, 30)}")
        out.append("  metrics:")
        out.append("    - type: Resource")
        out.append("      resource:")
        out.append("        name: cpu")
        out.append("        target:")
        out.append("          type: Utilization")
        out.append(f"          averageUtilization: {r.pick([60, 70, 80])}")

    def pdb(self, out, name, ns, team, insecure):
        r = self
        out.append("apiVersion: policy/v1")
        out.append("kind: PodDisruptionBudget")
        self.metadata(out, name, ns, team)
        out.append("spec:")
        out.append(f"  minAvailable: {r.pick([1, '50%'])}")
        out.append("  selector:")
        out.append("    matchLabels:")
        out.append(f"      app.kubernetes.io/name: {name}")

    def object(self, index: int) -> str:
        r = self
        team = r.pick(TEAMS)
        env = r.pick(["prod", "staging", "dev"])
        ns = f"{team}-{env}"
        name = self.name(team, index)
        # roughly one object in three leans insecure, most are hardened
        insecure = r.pick([0.0, 0.05, 0.1, 0.3, 0.7, 1.0])
        kind = r.r.choices(self.kinds, self.weights)[0]
        out: list[str] = []
        if r.chance(0.3):
            out.append(r.pick(COMMENTS))
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"):
            self.workload(out, kind, name, ns, team, insecure)
        elif kind == "Pod":
            self.pod(out, name, ns, team, insecure)
        elif kind == "Service":
            self.service(out, name, ns, team, insecure)
        elif kind == "Ingress":
            self.ingress(out, name, ns, team, insecure)
        elif kind == "ConfigMap":
            self.configmap(out, name, ns, team, insecure)
        elif kind == "Secret":
            self.secret(out, name, ns, team, insecure)
        elif kind == "ServiceAccount":
            self.service_account(out, name, ns, team, insecure)
        elif kind == "NetworkPolicy":
            self.network_policy(out, name, ns, team, insecure)
        elif kind in ("Role", "ClusterRole"):
            self.role(out, name, ns, team, insecure, cluster=kind == "ClusterRole")
        elif kind in ("RoleBinding", "ClusterRoleBinding"):
            self.binding(out, name, ns, team, insecure, cluster=kind == "ClusterRoleBinding")
        elif kind == "HorizontalPodAutoscaler":
            self.hpa(out, name, ns, team, insecure)
        else:
            self.pdb(out, name, ns, team, insecure)
        return "\n".join(out) + "\n"


def generate(out_dir: str, count: int, seed: int, per_file: int, files_per_dir: int = 100) -> int:
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    gen = Gen(seed)
    written = 0
    file_no = 0
    while written < count:
        n = min(per_file, count - written)
        sub = os.path.join(out_dir, f"{TEAMS[(file_no // files_per_dir) % len(TEAMS)]}-{file_no // files_per_dir:03d}")
        os.makedirs(sub, exist_ok=True)
        docs = []
        for _ in range(n):
            docs.append(gen.object(written))
            written += 1
        header = f"# Synthetic benchmark manifests, file {file_no} (seed {seed})\n"
        with open(os.path.join(sub, f"manifests-{file_no:05d}.yaml"), "w", encoding="utf-8", newline="\n") as f:
            f.write(header + "---\n".join(docs))
        file_no += 1
    return file_no


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out_dir", help="directory to (re)create")
    p.add_argument("--count", type=int, default=100_000, help="number of objects (default 100000)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--per-file", type=int, default=100, help="objects per YAML file (default 100)")
    args = p.parse_args(argv)
    if args.count < 0 or args.per_file < 1:
        p.error("--count must be >= 0 and --per-file >= 1")
    files = generate(args.out_dir, args.count, args.seed, args.per_file)
    print(f"wrote {args.count} objects in {files} files to {args.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
