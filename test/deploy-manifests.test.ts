/**
 * deploy/ cannot be run here (no Docker engine, no Kubernetes, no systemd as pid 1), so it is kept
 * honest by reading it: the configs it ships pass the daemon's own validation, and the Dockerfile,
 * the Kubernetes manifests and the systemd units agree with them (ports, probe paths, timeouts,
 * names), so a change on one side that the other does not follow fails here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { OPEN_ROUTES } from '../api/auth.js';
import { formatListen, loadConfig, parseListen, type Config } from '../daemon/config/index.js';
import { ROOT, tempDir } from './helpers/daemon.js';
import { KILL_TOOL, needs, SYSTEMD_ANALYZE_TOOL } from './helpers/tools.js';

const DEPLOY = join(ROOT, 'deploy');

/** Validate a shipped config as tsgid would, with the apps' `cwd: FROM` (a path in the image or on the host) moved to `to`. */
function loadShipped(text: string, from: string, to: string, env: NodeJS.ProcessEnv): Config {
  const dir = tempDir('tsgi-deploy-');
  const file = join(dir, 'tsgi.yaml');
  const moved = text.replaceAll(`cwd: ${from}\n`, `cwd: ${to}\n`);
  assert.notEqual(moved, text, `an app has cwd: ${from}`);
  writeFileSync(file, moved);
  return loadConfig(file, env);
}

/** `${VAR}` names a config takes from the environment. */
function envNames(text: string): string[] {
  return [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)].map((m) => m[1]!);
}

const seconds = (ms: number): number => ms / 1000;
const maxOf = (config: Config, key: 'graceful_timeout' | 'boot_timeout'): number => Math.max(0, ...Object.values(config.apps).map((a) => a[key]));

// ---- Kubernetes ----

// manifests are free-form YAML: read as loosely typed, checked by the assertions
type K8s = Record<string, any>;

function manifests(): K8s[] {
  const dir = join(DEPLOY, 'kubernetes');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as K8s));
}

describe('deploy/kubernetes and deploy/Dockerfile', () => {
  const docs = manifests();
  const of = (kind: string): K8s => {
    const found = docs.filter((d) => d.kind === kind);
    assert.equal(found.length, 1, `one ${kind}`);
    return found[0]!;
  };
  const configMap = of('ConfigMap');
  const deployment = of('Deployment');
  const service = of('Service');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const text = configMap.data['tsgi.yaml'] as string;
  // the image's /app is the user's project: here, a stand-in with its server.js
  const project = tempDir('tsgi-project-');
  writeFileSync(join(project, 'server.js'), 'module.exports = (req, res) => res.end("ok");\n');
  const config = loadShipped(text, '/app', project, Object.fromEntries(envNames(text).map((n) => [n, 'test-value'])));
  const portNamed = (p: string | number): number => (typeof p === 'number' ? p : container.ports.find((c: K8s) => c.name === p)?.containerPort);

  it('the ConfigMap holds a config tsgid accepts, mounted where the container reads it, with its ${VARS} set', () => {
    const mount = container.volumeMounts.find((m: K8s) => pod.volumes.find((v: K8s) => v.name === m.name)?.configMap?.name === configMap.metadata.name);
    assert.ok(mount, 'the ConfigMap is mounted');
    assert.deepEqual(container.args, ['-c', `${mount.mountPath}/tsgi.yaml`]);
    const defined = new Set((container.env ?? []).map((e: K8s) => e.name));
    for (const name of envNames(text)) assert.ok(defined.has(name), `${name} is set in the container`);
    assert.ok(!config.pidfile.startsWith(mount.mountPath), 'the pidfile is not in the read-only config volume');
  });

  it('probes: /v1/ready and /v1/health on the admin port, open routes, reachable from the kubelet', () => {
    const admin = config.admin.listen;
    assert.equal(admin.kind, 'tcp');
    assert.ok(admin.kind === 'tcp' && ['0.0.0.0', '::'].includes(admin.host), 'admin listens on the pod IP, where the kubelet probes');
    assert.notEqual(config.admin.token, undefined, 'a non-loopback admin API needs a token');
    const probes = { readinessProbe: '/v1/ready', livenessProbe: '/v1/health' } as const;
    for (const [probe, path] of Object.entries(probes)) {
      const get = container[probe].httpGet;
      assert.equal(get.path, path, probe);
      assert.ok(OPEN_ROUTES.has(get.path), `${probe}: ${path} needs no token`);
      assert.equal(portNamed(get.port), admin.kind === 'tcp' ? admin.port : -1, `${probe} port is admin.listen's`);
    }
  });

  it('timeouts: readiness sees the 503 within shutdown_delay; the grace period covers shutdown_delay and the drain', () => {
    const r = container.readinessProbe;
    const noticed = r.periodSeconds * (r.failureThreshold ?? 3) + (r.timeoutSeconds ?? 1);
    assert.ok(noticed <= seconds(config.shutdown_delay), `readiness notices within ${noticed}s, shutdown_delay is ${seconds(config.shutdown_delay)}s`);
    // tsgid SIGKILLs a worker 1s after graceful_timeout; a few seconds more for the exit itself
    const needed = seconds(config.shutdown_delay) + seconds(maxOf(config, 'graceful_timeout')) + 5;
    assert.ok(pod.terminationGracePeriodSeconds >= needed, `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} >= ${needed}`);
    // either preStop sleep or shutdown_delay, not both: tsgid's own delay is the one chosen
    assert.equal(container.lifecycle?.preStop, undefined);
    assert.ok(config.shutdown_delay > 0);
  });

  it('ports: every app port is a containerPort the Service targets; the admin port is not in the Service', () => {
    const appPorts = Object.values(config.apps).flatMap((a) => a.listen).filter((l) => l.kind === 'tcp');
    assert.ok(appPorts.length > 0);
    for (const l of appPorts) {
      assert.ok(l.kind === 'tcp' && ['0.0.0.0', '::'].includes(l.host), `${formatListen(l)} is reachable from the Service`);
      assert.ok(container.ports.some((p: K8s) => l.kind === 'tcp' && p.containerPort === l.port), `${formatListen(l)} is a containerPort`);
    }
    const targets = service.spec.ports.map((p: K8s) => portNamed(p.targetPort ?? p.port));
    for (const t of targets) assert.ok(appPorts.some((l) => l.kind === 'tcp' && l.port === t), `Service targets app port ${t}`);
    assert.ok(!targets.includes(config.admin.listen.kind === 'tcp' ? config.admin.listen.port : -1), 'the admin API is not exposed');
    const labels = deployment.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(service.spec.selector as Record<string, string>)) assert.equal(labels[k], v, `Service selector ${k}`);
    assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0, 'a rolling deploy never goes below the replicas');
  });

  it('resources: requests for scheduling, a memory limit above the apps\' max_memory; a PodDisruptionBudget over the same pods', () => {
    const { requests, limits } = container.resources;
    assert.ok(requests.cpu && requests.memory, 'cpu and memory requests');
    assert.ok(limits.memory, 'a memory limit');
    const mi = (q: string): number => Number.parseInt(q, 10) * ({ Mi: 1, Gi: 1024 } as Record<string, number>)[q.replace(/^\d+/, '')]!;
    const capped = Object.values(config.apps).reduce((sum, a) => sum + a.workers * a.max_memory, 0) / 2 ** 20;
    assert.ok(mi(limits.memory) > capped, `limit ${limits.memory} > ${capped}Mi of max_memory`);
    const pdb = of('PodDisruptionBudget');
    const labels = deployment.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels as Record<string, string>)) assert.equal(labels[k], v, `PDB selector ${k}`);
    assert.ok((pdb.spec.maxUnavailable ?? 0) < deployment.spec.replicas || (pdb.spec.minAvailable ?? 0) >= 1, 'a drain leaves a pod serving');
  });

  it("the Dockerfile builds the user's project with tsgi as a dependency: production deps, tsgid and tsgictl on PATH, a HEALTHCHECK, not root", () => {
    const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    const lines = dockerfile.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    const stages = lines.reduce<string[][]>((acc, l) => (/^FROM /i.test(l) ? [...acc, [l]] : (acc.at(-1)?.push(l), acc)), []);
    const all = lines.join('\n');
    assert.match(all, /^COPY package\.json package-lock\.json \.\/$/m, "the project's manifest and lockfile first (a cached layer)");
    assert.match(all, /^RUN npm ci --omit=dev/m, 'production dependencies only: tsgi is one');
    const runtime = stages.at(-1)!.join('\n');
    assert.match(runtime, /^COPY \. \.$/m, "the project's files");
    assert.match(runtime, /^ENV .*PATH=\/app\/node_modules\/\.bin:\$PATH/m, 'tsgid and tsgictl on PATH');
    assert.match(runtime, /^ENV .*HOST=0\.0\.0\.0/m, "init's listen line binds every interface");
    assert.match(runtime, /^HEALTHCHECK .*CMD \["tsgictl", "ready"\]$/m);
    const user = /^USER (\S+)/m.exec(runtime)?.[1];
    assert.ok(user !== undefined && !['root', '0'].includes(user), `runs as ${user}, not root`);
    assert.match(runtime, /^RUN mkdir -p \.tsgi && chown node:node \.tsgi$/m, 'the pidfile and admin socket folder is writable');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.match(runtime, /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "tsgid"\]$/m);
    assert.deepEqual(container.args, ['-c', '/etc/tsgi/tsgi.yaml'], 'the Deployment runs the ConfigMap config');
    const exposed = (/^EXPOSE (.*)$/m.exec(runtime)?.[1] ?? '').split(/\s+/).map(Number);
    for (const p of container.ports.filter((p: K8s) => p.name !== 'admin')) assert.ok(exposed.includes(p.containerPort), `EXPOSE ${p.containerPort}`);
    // the folders a Dockerfile.dockerignore keeps out include node_modules and .tsgi
    const ignore = readFileSync(join(DEPLOY, 'Dockerfile.dockerignore'), 'utf8');
    for (const f of ['node_modules', '.tsgi']) assert.match(ignore, new RegExp(`^${f.replace('.', '\\.')}$`, 'm'));
  });
});

// ---- systemd ----

/** An ini-style unit: key → every value given for it, across sections. */
function unit(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(join(DEPLOY, 'systemd', file), 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

describe('deploy/systemd', () => {
  const service = unit('tsgid.service');
  const socket = unit('tsgid.socket');
  const one = (u: Map<string, string[]>, key: string): string => {
    const v = u.get(key);
    assert.equal(v?.length, 1, key);
    return v![0]!;
  };
  const yamlPath = join(DEPLOY, 'systemd/tsgi.yaml');
  const text = readFileSync(yamlPath, 'utf8');
  const appDir = join(tempDir('tsgi-deploy-'), 'shop');
  mkdirSync(appDir);
  writeFileSync(join(appDir, 'server.ts'), 'export default () => new Response("ok");\n');
  const config = loadShipped(text, '/srv/tsgi/shop', appDir, {});

  it('the service: Type=notify with NotifyAccess=all, SIGHUP reload, SIGTERM to tsgid alone, timeouts above the config\'s', () => {
    assert.equal(one(service, 'Type'), 'notify');
    assert.equal(one(service, 'NotifyAccess'), 'all', 'the messages come from systemd-notify, not the main pid');
    assert.match(one(service, 'ExecStart'), /^\/usr\/bin\/node \/opt\/tsgi\/node_modules\/tsgi\/dist\/daemon\/main\.js -c \/etc\/tsgi\/tsgi\.yaml$/);
    // the install path is the one docs/deploy.md's step produces, and the user is systemd's own
    assert.match(readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8'), /npm install --prefix \/opt\/tsgi\b/);
    assert.equal(one(service, 'DynamicUser'), 'yes');
    assert.equal(service.get('User'), undefined, 'no user that nothing creates');
    assert.match(one(service, 'ExecReload'), /kill -HUP \$MAINPID$/);
    assert.equal(one(service, 'KillMode'), 'mixed', 'workers keep serving through shutdown_delay');
    const stop = Number(one(service, 'TimeoutStopSec'));
    assert.ok(stop >= seconds(config.shutdown_delay) + seconds(maxOf(config, 'graceful_timeout')) + 5, `TimeoutStopSec=${stop}`);
    assert.ok(Number(one(service, 'TimeoutStartSec')) > seconds(maxOf(config, 'boot_timeout')), 'READY=1 waits for the workers');
    assert.ok(one(service, 'Sockets').split(/\s+/).includes('tsgid.socket'));
  });

  it('systemd-analyze verify finds nothing to say about the units', needs(SYSTEMD_ANALYZE_TOOL, KILL_TOOL), () => {
    const dir = tempDir('tsgi-units-');
    for (const f of ['tsgid.service', 'tsgid.socket']) {
      // the node binary of this run, so the check does not depend on where Node is installed
      writeFileSync(join(dir, f), readFileSync(join(DEPLOY, 'systemd', f), 'utf8').replace('/usr/bin/node ', `${process.execPath} `));
    }
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'tsgid.socket'), join(dir, 'tsgid.service')], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'systemd-analyze runs (Debian\'s systemd package; .ci/run installs it)');
    assert.deepEqual([r.status, r.stderr.trim()], [0, '']);
  });

  it('the socket: named for an app, listening where that app listens, outliving service restarts', () => {
    const name = one(socket, 'FileDescriptorName');
    const app = config.apps[name];
    assert.ok(app, `FileDescriptorName=${name} is an app`);
    const listens = socket.get('ListenStream')!.map((l) => formatListen(parseListen(l.startsWith('/') ? `unix:${l}` : l, '/')));
    assert.deepEqual(listens.sort(), app.listen.map(formatListen).sort());
    assert.equal(one(socket, 'Service'), 'tsgid.service');
    assert.equal(socket.get('PartOf'), undefined, 'PartOf=tsgid.service would close the sockets on every restart');
    assert.equal(Number(one(socket, 'Backlog')), app.backlog);
  });
});
