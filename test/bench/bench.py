#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""opendcre PLC benchmark (stdlib only; see test/bench/README.md).

Drives opendcre-fcgi through nginx with wrk and prints requests/s, p50 and p99
for /test, a cached /scan, a thermistor read and a power status, next to two
ceilings measured in the same run:

  * the HTTP-path ceiling: bench-null-responder (a do-nothing libfcgi
    responder, same worker count) behind the same nginx;
  * the bus ceiling: bench-emu-roundtrip, a client talking straight to the
    emulator's pty, one packet outstanding at a time.

Then it restarts the service with one worker, sends 10,000 requests and
reports that worker's private memory.

A missed target is reported, never a failure. The exit status is 1 only when
something did not run (a process failed to start or died, a request answered
an error, wrk reported errors), 77 when a tool is missing and cannot be
installed.

Run by `meson test -C BUILD --benchmark` (executables passed as options), or
by hand: `test/bench/bench.py [--build DIR]`, which builds what it needs.
"""

import argparse
import grp
import http.client
import json
import os
import pwd
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SOURCE = os.path.normpath(os.path.join(HERE, '..', '..'))

# process helpers shared with the integration tests
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
from harness import _children, _free_port, _tail  # noqa: E402

RACK = 'rack_1'
BOARD = '00000001'
THERMISTOR = '0001'
POWER = '0002'
PREFIX = '/opendcre/1.3'
SERIAL = ('read', 'power')  # the URLs that make a bus transaction


class BenchError(Exception):
    """Something did not run: the benchmark fails."""


def log(*a):
    print('#', *a, flush=True)


# --------------------------------------------------------------------------------------------
# tools and build

def find_tool(name, extra=()):
    for p in (shutil.which(name),) + tuple(extra):
        if p and os.access(p, os.X_OK):
            return p
    return None


def ensure_tool(name, package, extra=()):
    """Return the tool's path, installing the Debian package when missing (as root)."""
    p = find_tool(name, extra)
    if p:
        return p
    if os.geteuid() != 0 or not shutil.which('apt-get'):
        print('SKIP: %s is not installed (apt-get install %s)' % (name, package), flush=True)
        sys.exit(SKIP)
    log('installing %s with apt-get' % package)
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    rc = subprocess.call(['apt-get', 'install', '-y', '--no-install-recommends', package], env=env)
    if rc != 0:
        subprocess.call(['apt-get', 'update'], env=env)
        rc = subprocess.call(['apt-get', 'install', '-y', '--no-install-recommends', package], env=env)
    p = find_tool(name, extra)
    if rc != 0 or not p:
        print('SKIP: could not install %s' % package, flush=True)
        sys.exit(SKIP)
    return p


def ninja_knows(build, target):
    out = subprocess.run(['ninja', '-C', build, '-t', 'targets', 'all'], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    return any(line.split(':')[0] == target for line in out.splitlines())


def build_all(source, build):
    """Stand-alone mode: configure and build the service, the emulator and the bench tools.

    The bench programs are meson targets once test/meson.build has subdir('bench'); until then
    they are compiled directly against the build's static libraries."""
    if not os.path.exists(os.path.join(build, 'build.ninja')):
        log('meson setup %s -Dbuildtype=release' % build)
        if subprocess.call(['meson', 'setup', build, source, '-Dbuildtype=release']) != 0:
            raise BenchError('meson setup failed')
    targets = ['fcgi-app/opendcre-fcgi', 'emulator/opendcre-emulator']
    bench_targets = ['test/bench/bench-null-responder', 'test/bench/bench-emu-roundtrip']
    in_meson = all(ninja_knows(build, t) for t in bench_targets)
    if in_meson:
        targets += bench_targets
    else:
        targets += ['transports/plc/libdcre-plc-frame.a', 'core/libdcre-core.a']
    log('ninja -C %s %s' % (build, ' '.join(targets)))
    if subprocess.call(['ninja', '-C', build] + targets) != 0:
        raise BenchError('build failed')
    exes = {
        'fcgi': os.path.join(build, 'fcgi-app', 'opendcre-fcgi'),
        'emulator': os.path.join(build, 'emulator', 'opendcre-emulator'),
        'null': os.path.join(build, 'test', 'bench', 'bench-null-responder'),
        'emu_rt': os.path.join(build, 'test', 'bench', 'bench-emu-roundtrip'),
    }
    if not in_meson:
        outdir = os.path.join(build, 'bench-standalone')
        os.makedirs(outdir, exist_ok=True)
        cc = os.environ.get('CC', 'cc')
        flags = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-D_GNU_SOURCE']
        exes['null'] = os.path.join(outdir, 'bench-null-responder')
        exes['emu_rt'] = os.path.join(outdir, 'bench-emu-roundtrip')
        cmds = [
            [cc] + flags + [os.path.join(HERE, 'null_responder.c'), '-o', exes['null'], '-lfcgi'],
            [cc] + flags + ['-I', os.path.join(source, 'core'),
                            '-I', os.path.join(source, 'transports', 'plc'),
                            os.path.join(HERE, 'emu_roundtrip.c'), '-o', exes['emu_rt'],
                            os.path.join(build, 'transports', 'plc', 'libdcre-plc-frame.a'),
                            os.path.join(build, 'core', 'libdcre-core.a'), '-lcjson', '-lm'],
        ]
        for cmd in cmds:
            log('(bench not yet in meson) ' + ' '.join(cmd))
            if subprocess.call(cmd) != 0:
                raise BenchError('compiling %s failed' % cmd[-1])
    return exes


# --------------------------------------------------------------------------------------------
# processes

def private_kib(pid):
    """Private_Clean + Private_Dirty (and Rss, Pss) of a process, in KiB."""
    vals = {}
    with open('/proc/%d/smaps_rollup' % pid) as f:
        for line in f:
            m = re.match(r'(\w+):\s+(\d+) kB', line)
            if m:
                vals[m.group(1)] = int(m.group(2))
    return {'private': vals.get('Private_Clean', 0) + vals.get('Private_Dirty', 0),
            'private_dirty': vals.get('Private_Dirty', 0),
            'rss': vals.get('Rss', 0), 'pss': vals.get('Pss', 0)}


def cpu_busy(seconds):
    """Share of all CPUs busy (not idle/iowait) over `seconds`, from /proc/stat, in %."""
    def sample():
        with open('/proc/stat') as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]
    t0, i0 = sample()
    time.sleep(seconds)
    t1, i1 = sample()
    return 100.0 * (1 - (i1 - i0) / max(1, t1 - t0))


def loadavg():
    with open('/proc/loadavg') as f:
        return f.read().split()[0]


class Proc:
    """A started process with its log file; stopped by signal, never by name."""

    def __init__(self, name, cmd, run, stdout_pipe=False):
        self.name = name
        self.log = os.path.join(run, name + '.log')
        with open(self.log, 'ab') as logf:
            self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE if stdout_pipe else logf, stderr=logf,
                                      stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def check(self):
        if not self.alive():
            raise BenchError('%s exited with %s; log:\n%s' % (self.name, self.p.returncode, _tail(self.log)))

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Stop the process; returns its exit code (None if it had to be killed)."""
        if self.p.poll() is not None:
            return self.p.returncode
        self.p.send_signal(sig)
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
            return None


def wait_socket(proc, path, timeout=20.0):
    """The socket file existing (and accepting) is the readiness signal."""
    deadline = time.monotonic() + timeout
    while True:
        proc.check()
        if os.path.exists(path):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return
            except OSError:
                pass
            finally:
                s.close()
        if time.monotonic() > deadline:
            raise BenchError('%s: socket %s not ready within %.0f s; log:\n%s'
                             % (proc.name, path, timeout, _tail(proc.log)))
        time.sleep(0.02)


def wait_children(proc, n, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        pids = _children(proc.pid)
        if len(pids) == n:
            return pids
        proc.check()
        if time.monotonic() > deadline:
            raise BenchError('%s: expected %d workers, have %r' % (proc.name, n, pids))
        time.sleep(0.02)


def start_emulator(exe, run, data, timeout=10.0):
    link = os.path.join(run, 'bus')
    emu = Proc('emulator', [exe, '--pty', link, '--data', data], run, stdout_pipe=True)
    deadline = time.monotonic() + timeout
    line = b''
    fd = emu.p.stdout.fileno()
    while not line.endswith(b'\n'):
        left = deadline - time.monotonic()
        if left <= 0:
            raise BenchError('emulator printed no ready line within %.0f s; log:\n%s' % (timeout, _tail(emu.log)))
        r, _, _ = select.select([fd], [], [], left)
        if r:
            d = os.read(fd, 1)
            if not d:
                raise BenchError('emulator exited (rc %s) before its ready line; log:\n%s'
                                 % (emu.p.wait(), _tail(emu.log)))
            line += d
    parts = line.decode().split()
    if len(parts) != 3 or parts[0] != 'ready' or parts[1] != link:
        raise BenchError('unexpected emulator ready line %r' % line)
    return emu, link


def write_nginx_conf(source, run, servers):
    """One nginx, one server block per FastCGI socket, each including the shipped snippet
    (etc/nginx/opendcre.conf) with its socket substituted: identical settings for all."""
    with open(os.path.join(source, 'etc', 'nginx', 'opendcre.conf')) as f:
        snippet = f.read()
    if '@OPENDCRE_SOCKET@' not in snippet:
        raise BenchError('etc/nginx/opendcre.conf has no @OPENDCRE_SOCKET@ placeholder')
    if os.path.exists('/etc/nginx/fastcgi_params'):
        shutil.copy('/etc/nginx/fastcgi_params', os.path.join(run, 'fastcgi_params'))
    else:
        raise BenchError('/etc/nginx/fastcgi_params is missing (package nginx-common)')
    # the service needs the raw request target; newer snippets say so themselves
    merge = '' if re.search(r'^\s*merge_slashes\b', snippet, re.M) else '        merge_slashes off;\n'
    # newer snippets pass the role ($opendcre_role, issue 15): none here, as on the loopback
    # server of the example site
    roles = '    map "" $opendcre_role { default ""; }\n' if '$opendcre_role' in snippet else ''
    blocks = []
    for name, (port, sock) in servers.items():
        inc = os.path.join(run, 'snippet-%s.conf' % name)
        with open(inc, 'w') as f:
            f.write(snippet.replace('@OPENDCRE_SOCKET@', sock))
        blocks.append('    server {\n'
                      '        listen 127.0.0.1:%d;\n'
                      '        server_name localhost;\n'
                      '%s'
                      '        include %s;\n'
                      '    }\n' % (port, merge, inc))
    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    conf = ('daemon off;\n'
            'master_process on;\n'
            'worker_processes auto;\n'
            + ('user %s %s;\n' % (user, group) if os.geteuid() == 0 else '') +
            'pid {run}/nginx.pid;\n'
            'error_log {run}/nginx-error.log warn;\n'
            'events {{\n'
            '    worker_connections 1024;\n'
            '}}\n'
            'http {{\n'
            '    access_log off;\n'
            '    client_body_temp_path {run}/nginx-client-body;\n'
            '    fastcgi_temp_path {run}/nginx-fastcgi;\n'
            '    proxy_temp_path {run}/nginx-proxy;\n'
            '    uwsgi_temp_path {run}/nginx-uwsgi;\n'
            '    scgi_temp_path {run}/nginx-scgi;\n'
            '    default_type application/octet-stream;\n'
            '    server_tokens off;\n'
            '    keepalive_timeout 30s;\n'
            '    keepalive_requests 1000000;\n'
            ).format(run=run) + roles + ''.join(blocks) + '}\n'
    path = os.path.join(run, 'nginx.conf')
    with open(path, 'w') as f:
        f.write(conf)
    return path


def start_nginx(nginx, run, conf, ports, timeout=15.0):
    ngx = Proc('nginx', [nginx, '-p', run + '/', '-c', conf, '-e', os.path.join(run, 'nginx-error.log')], run)
    deadline = time.monotonic() + timeout
    pending = set(ports)
    while pending:
        if not ngx.alive():
            raise BenchError('nginx exited with %s; log:\n%s'
                             % (ngx.p.returncode, _tail(os.path.join(run, 'nginx-error.log'))))
        for port in list(pending):
            try:
                socket.create_connection(('127.0.0.1', port), timeout=1).close()
                pending.discard(port)
            except OSError:
                pass
        if time.monotonic() > deadline:
            raise BenchError('nginx not listening within %.0f s' % timeout)
        time.sleep(0.02)
    return ngx


# --------------------------------------------------------------------------------------------
# HTTP

class Client:
    """A keep-alive HTTP/1.1 client to nginx."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def get(self, path):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
            try:
                self.conn.request('GET', path)
                r = self.conn.getresponse()
                body = r.read()
                if r.getheader('Connection', '').lower() == 'close':
                    self.close()
                return r.status, body
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt:
                    raise
        raise AssertionError('unreachable')

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def check_url(client, path, key):
    status, body = client.get(path)
    try:
        doc = json.loads(body.decode('utf-8'))
    except ValueError:
        doc = None
    if status != 200 or not isinstance(doc, dict) or key not in doc:
        raise BenchError('GET %s: expected 200 with key %r, got %d %r' % (path, key, status, body[:300]))
    return body.decode('utf-8')


# --------------------------------------------------------------------------------------------
# wrk

UNIT_MS = {'us': 1e-3, 'ms': 1.0, 's': 1e3, 'm': 60e3}


def _ms(text):
    m = re.fullmatch(r'([\d.]+)(us|ms|s|m)', text)
    if not m:
        raise BenchError('cannot parse wrk time %r' % text)
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def run_wrk(wrk, url, threads, connections, duration, run, name):
    cmd = [wrk, '-t%d' % threads, '-c%d' % connections, '-d%ds' % duration, '--latency', url]
    load_before = loadavg()
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=duration + 60).stdout
    with open(os.path.join(run, 'wrk-%s.txt' % name), 'w') as f:
        f.write(' '.join(cmd) + '\n' + out)
    res = {'url': url, 'load_before': load_before, 'load_after': loadavg()}
    m = re.search(r'Requests/sec:\s+([\d.]+)', out)
    n = re.search(r'(\d+) requests in ([\d.]+\w+)', out)
    if not m or not n:
        raise BenchError('wrk %s: unexpected output:\n%s' % (url, out))
    res['rps'] = float(m.group(1))
    res['requests'] = int(n.group(1))
    for pct in ('50', '75', '90', '99'):
        p = re.search(r'^\s+%s%%\s+(\S+)' % pct, out, re.M)
        if not p:
            raise BenchError('wrk %s: no %s%% latency in output:\n%s' % (url, pct, out))
        res['p' + pct] = _ms(p.group(1))
    bad = re.search(r'Non-2xx or 3xx responses:\s+(\d+)', out)
    res['non2xx'] = int(bad.group(1)) if bad else 0
    se = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', out)
    res['socket_errors'] = sum(int(x) for x in se.groups()) if se else 0
    return res


def start_wrk(wrk, url, threads, connections, duration):
    """wrk in the background, as load for a diagnostic measurement."""
    return subprocess.Popen([wrk, '-t%d' % threads, '-c%d' % connections, '-d%ds' % duration, url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def median_run(results, key='rps'):
    """The run with the median value of key (the lower middle one for an even count)."""
    return dict(sorted(results, key=lambda r: r[key])[(len(results) - 1) // 2])


def run_emu_roundtrip(exe, link, lockfile, seconds, run, name, like_service=False):
    cmd = [exe, '--link', link, '--board', BOARD, '--device', THERMISTOR, '--type', '9c',
           '--seconds', str(seconds), '--lock', lockfile] + (['--like-service'] if like_service else [])
    load_before = loadavg()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=seconds + 60)
    with open(os.path.join(run, name + '.txt'), 'w') as f:
        f.write(' '.join(cmd) + '\n' + p.stdout)
    m = re.search(r'^RESULT (.*)$', p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise BenchError('bench-emu-roundtrip failed (rc %d):\n%s' % (p.returncode, p.stdout))
    kv = dict(item.split('=', 1) for item in m.group(1).split())
    return {'rps': float(kv['rate']), 'p50': float(kv['p50_us']) / 1e3, 'p99': float(kv['p99_us']) / 1e3,
            'requests': int(kv['roundtrips']), 'errors': int(kv['errors']),
            'load_before': load_before, 'load_after': loadavg()}


# --------------------------------------------------------------------------------------------
# the benchmark

def service_config(run, link, lockfile, path):
    cfg = {
        'plc': {'hardware_type': 'emulator', 'device': link, 'lockfile': lockfile,
                'timeout': 0.25, 'mac_address': 'b8:27:eb:12:34:56'},
        'scan_cache': {'file': os.path.join(run, 'scan-cache.json'), 'cache_timeout': 0},
        'log': {'level': 'info', 'target': 'stderr'},
    }
    with open(path, 'w') as f:
        json.dump(cfg, f, indent=2)


def start_service(exe, run, config, sock, workers):
    svc = Proc('opendcre-fcgi', [exe, '--config', config, '--socket', sock, '--workers', str(workers)], run)
    wait_socket(svc, sock)
    pids = wait_children(svc, workers)
    return svc, pids


def stop_checked(proc, problems, expect_rc=0):
    rc = proc.stop()
    if rc != expect_rc:
        problems.append('%s exited with %s after SIGTERM (expected %s); log:\n%s'
                        % (proc.name, rc, expect_rc, _tail(proc.log)))


def memory_phase(client, svc, urls, total):
    """Send `total` requests (cycling through urls) to a one-worker service and sample its
    worker's private memory. Returns samples [(requests, private_kib dict)]."""
    pids = _children(svc.pid)
    if len(pids) != 1:
        raise BenchError('memory phase: expected one worker, have %r' % pids)
    pid = pids[0]
    samples = []
    sent = 0
    marks = {len(urls), 1000, total}
    while sent < total:
        path, key = urls[sent % len(urls)]
        status, body = client.get(path)
        if status != 200:
            raise BenchError('memory phase: GET %s answered %d %r' % (path, status, body[:200]))
        sent += 1
        if sent in marks:
            samples.append((sent, private_kib(pid)))
    if _children(svc.pid) != [pid]:
        raise BenchError('memory phase: the worker was replaced (it crashed?): %r' % _children(svc.pid))
    return pid, samples


def fmt_ms(v):
    return '%.3f ms' % v if v < 10 else '%.1f ms' % v


def report(rows, ceilings, mem, null_mem, diag, args):
    null_rps = ceilings['null']['rps']
    bus_rps = ceilings['bus']['rps']
    lines = []
    hdr = ('what', 'req/s', 'p50', 'p99', 'ceiling', '% of ceiling', 'target', 'result')
    table = []
    for r in rows:
        kind, pct = r['kind'], r['pct']
        if kind == 'test':
            target = '>= 90% of null responder'
            result = 'met' if pct >= 90.0 else 'NOT met'
            ceiling = 'null %.0f' % r['ceiling']
        elif kind == 'scan':
            target = '(none; vs null responder)'
            result = 'reported'
            ceiling = 'null %.0f' % r['ceiling']
        else:
            ratio = r['tail']
            target = '>= 80% of lower ceiling; p99 <= 3x p50'
            misses = []
            if pct < 80.0:
                misses.append('throughput')
            if ratio > 3.0:
                misses.append('median p99 = %.1fx p50' % ratio)
            result = 'met (median p99 %.1fx p50)' % ratio if not misses else 'NOT met: ' + ', '.join(misses)
            ceiling = '%s %.0f' % ('bus' if r['ceiling_name'] == 'emulator round trip' else 'null',
                                   r['ceiling'])
        table.append((r['path'], '%.0f' % r['rps'], fmt_ms(r['p50']), fmt_ms(r['p99']), ceiling,
                      '%.1f%%' % pct, target, result))
    table.append(('ceiling: null responder (%d workers)' % args.workers, '%.0f' % null_rps,
                  fmt_ms(ceilings['null']['p50']), fmt_ms(ceilings['null']['p99']), '', '',
                  'HTTP-path ceiling', 'measured'))
    table.append(('ceiling: emulator round trip (pty)', '%.0f' % bus_rps,
                  fmt_ms(ceilings['bus']['p50']), fmt_ms(ceilings['bus']['p99']), '',
                  '%.1f%% of null' % (100.0 * bus_rps / null_rps), 'bus ceiling', 'measured'))
    widths = [max(len(str(row[i])) for row in table + [hdr]) for i in range(len(hdr))]

    def fmt(row):
        return '  '.join(str(c).ljust(w) if i in (0, 6, 7) else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()
    lines.append(fmt(hdr))
    lines.append('  '.join('-' * w for w in widths))
    lines += [fmt(row) for row in table]
    lines.append('')
    lines.append('each row is the round with the median %% of its ceiling (%d rounds). Ceiling of /test and '
                 '/scan: the null responder in the same round; of a serial read: the lower of the null '
                 'responder in the same round and the mean of the bus runs just before and just after it. '
                 'p99/p50 of a serial read: the median of its rounds. The ceiling rows are medians of all '
                 'their runs.' % args.rounds)
    for r in rows:
        if r['kind'] in SERIAL:
            lines.append('%s p99/p50 by round: %s' % (r['path'], ', '.join('%.1f' % t for t in r['tails'])))
    last = mem['samples'][-1]
    first = mem['samples'][0]
    per = ', '.join('%d req: %d KiB' % (n, s['private']) for n, s in mem['samples'])
    lines.append('worker private memory (Private_Clean + Private_Dirty, one-worker service): '
                 '%d KiB after %d requests [%s]; Rss %d KiB, Pss %d KiB; growth %+d KiB from %d to %d '
                 'requests; target: reported'
                 % (last[1]['private'], last[0], per, last[1]['rss'], last[1]['pss'],
                    last[1]['private'] - first[1]['private'], first[0], last[0]))
    if null_mem:
        lines.append('for comparison, one null-responder worker after its runs: %d KiB private, Rss %d KiB'
                     % (null_mem['private'], null_mem['rss']))
    if diag:
        i, l = diag['txn_idle'], diag['txn_loaded']
        lines.append('diagnostics, one bus transaction done the service\'s way (flock, counter read and '
                     'stored in the lock file, tcflush, write, answer, unlock), one at a time:')
        lines.append('  without HTTP load:                           %.0f/s, p50 %s, p99 %s'
                     % (i['rps'], fmt_ms(i['p50']), fmt_ms(i['p99'])))
        lines.append('  under HTTP load (wrk on the null responder): %.0f/s, p50 %s, p99 %s'
                     % (l['rps'], fmt_ms(l['p50']), fmt_ms(l['p99'])))
    lines.append('wrk: %d threads, %d connections, %d s per run, %d rounds; nginx worker_processes auto, '
                 'access_log off; service and null responder %d workers; %d CPUs, %.0f%% busy with other '
                 'work before the start' % (args.threads, args.connections, args.duration, args.rounds,
                                            args.workers, os.cpu_count() or 0, args.busy_before))
    if args.busy_before > 20.0:
        lines.append('note: the machine was busy with other work; the figures are noisy (the pty ceiling most), '
                     'repeat with more --rounds')
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--source', default=DEFAULT_SOURCE, help='source tree (default: this checkout)')
    ap.add_argument('--build', help='build dir for stand-alone runs (default SOURCE/build-bench)')
    ap.add_argument('--fcgi', help='opendcre-fcgi executable (skips building)')
    ap.add_argument('--emulator', help='opendcre-emulator executable')
    ap.add_argument('--null-responder', help='bench-null-responder executable')
    ap.add_argument('--emu-roundtrip', help='bench-emu-roundtrip executable')
    ap.add_argument('--data', default=os.path.join(HERE, 'bench-data.json'), help='emulator data file')
    ap.add_argument('--workers', type=int, default=4)
    ap.add_argument('--connections', type=int, default=16)
    ap.add_argument('--threads', type=int, default=2, help='wrk threads')
    ap.add_argument('--duration', type=int, default=4, help='seconds per wrk run and per bus-ceiling run')
    ap.add_argument('--requests', type=int, default=10000, help='requests before the memory reading')
    ap.add_argument('--rounds', type=int, default=5,
                    help='measure every URL and both ceilings N times, interleaved; report the median round')
    ap.add_argument('--no-diagnostics', dest='diagnostics', action='store_false',
                    help='skip the bus-transaction diagnostics')
    ap.add_argument('--json', help='also write the results as JSON to this file')
    ap.add_argument('--keep', action='store_true', help='keep the run directory (logs, wrk outputs)')
    args = ap.parse_args()
    # glibc's malloc perturbation would slow the service's allocations but not the null responder's
    os.environ.pop('MALLOC_PERTURB_', None)

    wrk = ensure_tool('wrk', 'wrk')
    nginx = ensure_tool('nginx', 'nginx-light', ('/usr/sbin/nginx',))

    given = [args.fcgi, args.emulator, args.null_responder, args.emu_roundtrip]
    if all(given):
        exes = {'fcgi': args.fcgi, 'emulator': args.emulator, 'null': args.null_responder,
                'emu_rt': args.emu_roundtrip}
    elif any(given):
        ap.error('give all four executables or none')
    else:
        exes = build_all(args.source, args.build or os.path.join(args.source, 'build-bench'))
    for k, p in exes.items():
        if not os.access(p, os.X_OK):
            raise BenchError('executable %s not found' % p)

    args.busy_before = cpu_busy(2.0)
    log('CPUs busy with other work before the start: %.0f%%' % args.busy_before)
    run = tempfile.mkdtemp(prefix='opendcre-bench-')
    log('run directory %s' % run)
    # The bus lock file (it also holds the sequence counter, written before every packet)
    # lives where a deployment has it: /run/opendcre is a tmpfs. Use a tmpfs here too.
    lock_dir = tempfile.mkdtemp(prefix='opendcre-bench-lock-', dir='/dev/shm') \
        if os.path.isdir('/dev/shm') else run
    lockfile = os.path.join(lock_dir, 'plc.lock')
    log('bus lock file %s' % lockfile)
    procs = []
    problems = []
    results = {}
    ok = False
    try:
        emu, link = start_emulator(exes['emulator'], run, args.data)
        procs.append(emu)
        config = os.path.join(run, 'opendcre.json')
        service_config(run, link, lockfile, config)
        svc_sock = os.path.join(run, 'opendcre.sock')
        null_sock = os.path.join(run, 'null.sock')
        svc, svc_workers = start_service(exes['fcgi'], run, config, svc_sock, args.workers)
        procs.append(svc)
        null = Proc('null-responder', [exes['null'], '--socket', null_sock, '--workers', str(args.workers)], run)
        procs.append(null)
        wait_socket(null, null_sock)
        null_workers = wait_children(null, args.workers)
        svc_port, null_port = _free_port(), _free_port()
        conf = write_nginx_conf(args.source, run, {'service': (svc_port, svc_sock),
                                                    'null': (null_port, null_sock)})
        ngx = start_nginx(nginx, run, conf, [svc_port, null_port])
        procs.append(ngx)

        urls = [
            ('test', PREFIX + '/test', 'status'),
            ('scan', PREFIX + '/scan', 'racks'),
            ('read', '%s/read/thermistor/%s/%s/%s' % (PREFIX, RACK, BOARD, THERMISTOR), 'temperature_c'),
            ('power', '%s/power/%s/%s/%s' % (PREFIX, RACK, BOARD, POWER), 'power_status'),
        ]
        client = Client(svc_port)
        for kind, path, key in urls:   # the first /scan scans live and fills the cache
            body = check_url(client, path, key)
            log('GET %s -> %s' % (path, body[:160]))
        if not os.path.exists(os.path.join(run, 'scan-cache.json')):
            raise BenchError('no scan cache file after the first /scan')
        check_url(Client(null_port), PREFIX + '/test', 'status')

        # Every round runs the null responder, /test and /scan, then each serial read between two
        # bus-ceiling runs: the machine's speed drifts (a VM's most of all), so a serial read is
        # compared with the bus as it was just before and just after it. Each figure is the
        # round with the median ratio (req/s for the HTTP rows).
        def bus_run(name):
            log('emulator round trips (%d s)' % args.duration)
            cb = run_emu_roundtrip(exes['emu_rt'], link, lockfile, args.duration, run, name)
            log('  %.0f round trips/s, p50 %s, p99 %s' % (cb['rps'], fmt_ms(cb['p50']), fmt_ms(cb['p99'])))
            if cb['errors']:
                problems.append('emulator round trip: %d errors' % cb['errors'])
            bus_runs.append(cb)
            return cb

        def http_run(kind, url, label, rnd):
            log('wrk %s (%d s, round %d of %d)' % (label, args.duration, rnd + 1, args.rounds))
            r = run_wrk(wrk, url, args.threads, args.connections, args.duration, run, '%s-%d' % (kind, rnd + 1))
            log('  %.0f req/s, p50 %s, p99 %s' % (r['rps'], fmt_ms(r['p50']), fmt_ms(r['p99'])))
            if r['non2xx'] or r['socket_errors']:
                problems.append('%s: %d non-2xx answers, %d socket errors during the wrk run'
                                % (label, r['non2xx'], r['socket_errors']))
            for p in procs:
                p.check()
            runs[kind].append(r)
            return r

        svc_url = 'http://127.0.0.1:%d' % svc_port
        runs = {kind: [] for kind in ['null'] + [k for k, _, _ in urls]}
        bus_runs = []
        for rnd in range(args.rounds):
            null_r = http_run('null', 'http://127.0.0.1:%d%s/test' % (null_port, PREFIX), 'null responder', rnd)
            for kind, path, _ in urls:
                if kind in SERIAL:
                    continue
                r = http_run(kind, svc_url + path, path, rnd)
                r['ceiling'] = null_r['rps']
                r['pct'] = 100.0 * r['rps'] / null_r['rps']
            before = bus_run('emu-roundtrip-%d-0' % (rnd + 1))
            for kind, path, _ in urls:
                if kind not in SERIAL:
                    continue
                r = http_run(kind, svc_url + path, path, rnd)
                after = bus_run('emu-roundtrip-%d-%s' % (rnd + 1, kind))
                bus = (before['rps'] + after['rps']) / 2.0
                r['bus_ceiling'] = bus
                r['null_ceiling'] = null_r['rps']
                r['ceiling'] = min(bus, null_r['rps'])
                r['ceiling_name'] = 'emulator round trip' if bus <= null_r['rps'] else 'null responder'
                r['pct'] = 100.0 * r['rps'] / r['ceiling']
                log('  %.1f%% of the lower ceiling (%s, %.0f/s)' % (r['pct'], r['ceiling_name'], r['ceiling']))
                before = after
        null_mem = private_kib(null_workers[0])
        rows = []
        for kind, path, _ in urls:
            r = median_run(runs[kind], 'pct')
            tails = [x['p99'] / x['p50'] if x['p50'] > 0 else float('inf') for x in runs[kind]]
            r.update(kind=kind, path=path, tails=tails, tail=sorted(tails)[(len(tails) - 1) // 2])
            rows.append(r)
        cn = median_run(runs['null'])
        cb = median_run(bus_runs)

        # diagnostics: the service's whole bus transaction (lock, counter, flush, drain) on an
        # machine without HTTP load and while wrk loads the HTTP path with the null responder
        diag = {}
        if args.diagnostics:
            secs = max(1, args.duration // 2)
            log('diagnostics: service-style bus transactions, idle (%d s)' % secs)
            diag['txn_idle'] = run_emu_roundtrip(exes['emu_rt'], link, lockfile, secs, run,
                                                 'txn-idle', like_service=True)
            log('diagnostics: service-style bus transactions under HTTP load on the null responder (%d s)' % secs)
            w = start_wrk(wrk, 'http://127.0.0.1:%d%s/test' % (null_port, PREFIX), args.threads,
                          args.connections, secs + 2)
            time.sleep(1)
            diag['txn_loaded'] = run_emu_roundtrip(exes['emu_rt'], link, lockfile, secs,
                                                   run, 'txn-loaded', like_service=True)
            w.communicate()
            for k in ('txn_idle', 'txn_loaded'):
                if diag[k]['errors']:
                    problems.append('diagnostics %s: %d errors' % (k, diag[k]['errors']))
        for p in procs:
            p.check()
        if _children(svc.pid) != svc_workers:
            problems.append('service workers were replaced during the run: %r -> %r'
                            % (svc_workers, _children(svc.pid)))

        log('memory: restarting the service with one worker, %d requests' % args.requests)
        client.close()
        procs.remove(svc)
        stop_checked(svc, problems)
        svc, _ = start_service(exes['fcgi'], run, config, svc_sock, 1)
        procs.append(svc)
        client = Client(svc_port)
        pid, samples = memory_phase(client, svc, [(p, k) for _, p, k in urls], args.requests)
        client.close()
        mem = {'pid': pid, 'samples': samples}

        results = {'busy_before_percent': args.busy_before, 'rows': rows, 'ceilings': {'null': cn, 'bus': cb}, 'memory': mem, 'null_memory': null_mem,
                   'diagnostics': diag, 'rounds': {k: v for k, v in runs.items()}, 'bus_rounds': bus_runs}
        print('\n' + report(rows, results['ceilings'], mem, null_mem, diag, args) + '\n', flush=True)
        ok = True
    except BenchError as e:
        problems.append(str(e))
    finally:
        for p in reversed(procs):
            if p.name == 'nginx':
                p.stop(signal.SIGQUIT)
            elif p.name in ('opendcre-fcgi', 'null-responder'):
                stop_checked(p, problems)
            else:
                stop_checked(p, problems)
        if args.json and results:
            with open(args.json, 'w') as f:
                json.dump(results, f, indent=2, default=str)
        if args.keep or problems:
            log('run directory kept: %s' % run)
        else:
            shutil.rmtree(run, ignore_errors=True)
            if lock_dir != run:
                shutil.rmtree(lock_dir, ignore_errors=True)
    for p in problems:
        print('FAIL: ' + p, flush=True)
    return 0 if ok and not problems else 1


if __name__ == '__main__':
    try:
        sys.exit(main())
    except BenchError as e:
        print('FAIL: %s' % e, flush=True)
        sys.exit(1)
