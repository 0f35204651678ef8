// Beyond one machine: nginx (Debian's package) in front of two `verdant serve` instances on different loopback
// addresses, as two hosts behind a load balancer would be. Both are reloaded, one after the other, under constant
// load through nginx, and not one request fails. docs/launcher.md describes this deployment.
import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { appSource, get, sleepMs, startLoad, useScratchApp, writeApp, type Serve } from './support';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((file) => fs.existsSync(file));

/** A free TCP port on `host` (bound and released: nginx needs a number before it starts). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** nginx.conf for a reverse proxy on `listen` to `upstreams`, everything kept under `dir`. */
function nginxConfig(dir: string, listen: string, upstreams: string[]): string {
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client-body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream verdant {
${upstreams.map((u) => `    server ${u} max_fails=0;`).join('\n')}
    keepalive 16;
  }
  server {
    listen ${listen};
    location / {
      proxy_pass http://verdant;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502 http_503;
    }
  }
}
`;
}

describe('verdant serve behind nginx', function () {
  this.timeout(90000);
  const scratch = useScratchApp();

  before(function () {
    assert.ok(NGINX !== undefined, 'nginx is not installed: scripts/setup-system.sh installs it (Debian package nginx)');
  });

  it('two instances on two addresses, reloaded one after the other under load through nginx: no request fails', async () => {
    const hosts = ['127.0.0.1', '127.0.0.2'];
    const instances: Serve[] = [];
    let nginx: ChildProcess | null = null;
    try {
      for (const host of hosts) instances.push(await scratch.serve([scratch.app, '--port=0', `--host=${host}`, '--processes=2']).ready());
      const port = await freePort('127.0.0.1');
      const conf = path.join(scratch.dir, 'nginx.conf');
      fs.writeFileSync(conf, nginxConfig(scratch.dir, `127.0.0.1:${port}`, instances.map((s, i) => `${hosts[i]}:${s.port}`)));
      const check = spawnSync(NGINX!, ['-t', '-c', conf, '-p', scratch.dir], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);
      nginx = spawn(NGINX!, ['-c', conf, '-p', scratch.dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      for (let tries = 0; ; tries++) {
        try {
          if ((await get(port, '/')).status === 200) break;
        } catch (error) {
          if (tries > 50) throw error;
        }
        await sleepMs(100);
      }

      const load = startLoad(port, { keepAlive: 8, fresh: 4 });
      await sleepMs(500);
      writeApp(scratch.app, appSource(2));
      for (const s of instances) {
        const mark = s.stderr.length;
        s.child.kill('SIGHUP');
        await s.waitFor(/generation 2 ready/, 20000, mark);
        const [, ...stopped] = await s.waitFor(/stopping worker (\d+)[\s\S]*stopping worker (\d+)/, 20000, mark);
        for (const pid of stopped) await s.waitFor(new RegExp(`worker ${pid} \\(generation 1\\) exited \\(code 0\\)`), 20000, mark);
        await sleepMs(500);
      }
      const result = await load.stop();
      assert.deepEqual(
        { refused: result.refused, non2xx: result.non2xx, errors: result.errors.slice(0, 5) },
        { refused: 0, non2xx: 0, errors: [] },
        `${result.errors.length} failed requests through nginx`,
      );
      assert.ok(result.ok > 300, `${result.ok} requests answered`);
      assert.equal(result.pids.size, 8, 'both generations of both instances (2 workers each) answered');
      assert.deepEqual(result.versions.map((v) => v.at(-1)), result.versions.map(() => 2), 'every client ends on the new code');
      for (const s of instances) assert.deepEqual(await s.stop(), { code: 0, signal: null });
    } finally {
      nginx?.kill('SIGQUIT');
      if (nginx !== null && nginx.exitCode === null) await new Promise((resolve) => nginx!.once('exit', resolve));
    }
  });
});
