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
  // the image's /app holds what the repository root holds (dist/, examples/)
  const config = loadShipped(text, '/app', ROOT, Object.fromEntries(envNames(text).map((n) => [n, 'test-value'])));
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

  it('the Dockerfile: multi-stage, a build stage running tsc, production dependencies (tsx among them) only, not root, the ports and config the manifests use', () => {
    const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    const lines = dockerfile.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    const stages = lines.reduce<string[][]>((acc, l) => (/^FROM /i.test(l) ? [...acc, [l]] : (acc.at(-1)?.push(l), acc)), []);
    assert.ok(stages.length >= 2, 'multi-stage');
    const build = stages.slice(0, -1).map((st) => st.join('\n')).join('\n');
    assert.match(build, /^RUN (npm run build|npx tsc|tsc)\b/m, 'a build stage compiles dist/');
    const runtime = stages.at(-1)!.join('\n');
    assert.match(runtime, /^RUN npm ci --omit=dev/m);
    // so tsx, which runs TypeScript entries at run time, must be a production dependency
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    assert.ok('tsx' in pkg.dependencies, 'tsx is in dependencies');
    assert.ok(!('tsx' in pkg.devDependencies), 'tsx is not in devDependencies, which --omit=dev leaves out');
    assert.match(runtime, /^COPY --from=\S+ \S*dist/m, 'the built dist/ comes from the build stage');
    // what tsgid reads at run time from beside dist/: its version (api/version.ts) and the
    // dashboard's static files (api/routes/dashboard.ts)
    for (const path of ['package.json', 'api/dashboard']) {
      assert.ok(existsSync(join(ROOT, path)), path);
      assert.ok(stages.at(-1)!.some((l) => /^COPY (?!--from)/.test(l) && l.split(/\s+/).slice(1, -1).includes(path)), `the runtime stage copies ${path}`);
    }
    const user = /^USER (\S+)/m.exec(runtime)?.[1];
    assert.ok(user !== undefined && !['root', '0'].includes(user), `runs as ${user}, not root`);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.match(runtime, /^ENTRYPOINT \[.*"[^"]*dist\/daemon\/main\.js"\]/m);
    assert.match(runtime, /^CMD \["-c", "\/etc\/tsgi\/tsgi\.yaml"\]/m);
    assert.deepEqual(JSON.parse(/^CMD (.*)$/m.exec(runtime)![1]!), container.args, 'the image and the Deployment read the same config path');
    const exposed = (/^EXPOSE (.*)$/m.exec(runtime)?.[1] ?? '').split(/\s+/).map(Number);
    for (const p of container.ports) assert.ok(exposed.includes(p.containerPort), `EXPOSE ${p.containerPort}`);
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
    assert.match(one(service, 'ExecStart'), /dist\/daemon\/main\.js -c \/etc\/tsgi\/tsgi\.yaml$/);
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
