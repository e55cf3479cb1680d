#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""opendcre metrics benchmark (stdlib only): one full Prometheus scrape of the service's
/metrics for a rack of N simulated BMCs (OpenIPMI ipmi_sim on 127.0.0.x, started from
test/ipmi/start.sh) plus the PLC emulator, next to prometheus-ipmi-exporter (Debian
package) scraping the same BMCs in its multi-target mode (/ipmi?target=..., one target
per BMC, sequentially, summed), measured in the same run, for N = 1, 8, 32.

Rows per N (wall time of the scrape, CPU seconds from /proc/PID/stat):
  service, cold     the first /metrics of a freshly started service (no IPMI session
                    open; the service deletes its scan cache at start-up), through nginx
  service, kept     a /metrics after metrics.max_age (0.5 s here) has expired, with the
                    workers' IPMI sessions kept from earlier scrapes
  exporter, summed  N scrapes /ipmi?target=BMC (collectors ipmi and chassis: the sensors and
                    the power state, what the service exports per BMC), its SDR cache warm
CPU: service = the main process and its workers (utime+stime+cutime+cstime of the process
tree), nginx separately; exporter = the exporter and the FreeIPMI tools it starts (its
children, reaped: cutime+cstime); BMCs = the N simulators (what the scrape costs the BMCs;
an ipmi_sim runs a shell script for every Get Chassis Status). CPU is counted in clock ticks (1/CLK_TCK s, 10 ms): the
kept row's CPU is that of the whole series of --kept scrapes (with the pauses of max_age
between them) divided by their number; the exporter's is that of its rounds.

A benchmark, not a test: it reports the issue's targets (full rack with kept sessions
>= 10x faster and >= 10x cheaper in CPU than the exporter's summed scrapes, less than
linear growth up to N = 32) and never judges. Exit 1 only when something did not run (a
process failed, a scrape answered an error or missed a BMC), 77 when ipmi_sim, nginx or
prometheus-ipmi-exporter is missing.

Run by `meson test -C BUILD --benchmark metrics-bench -v`, or by hand:
  DCRE_BUILD=build test/bench/metrics_bench.py [--ns 1,8,32] [--only exporter] [--json out.json]
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
sys.path.insert(0, os.path.join(HERE, '..', 'ipmi'))
import harness as H  # noqa: E402
import test_ipmi as T  # noqa: E402  (the simulator helpers: Sim, WORKAROUNDS)

EXPORTER = '/usr/bin/prometheus-ipmi-exporter'
PLC_DATA = os.path.join(HERE, 'bench-data.json')
USER, PASSWORD = 'admin', 'adminpass'
METRICS_PATHS = ('/metrics', '/opendcre/metrics')
TICK = os.sysconf('SC_CLK_TCK')
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)', re.M)


# ---------------------------------------------------------------------------------------------
# CPU of process trees

def _stat(pid):
    """(ppid, utime+stime+cutime+cstime in ticks) or None."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            st = f.read()
    except OSError:
        return None
    rest = st[st.rfind(')') + 2:].split()
    return int(rest[1]), sum(int(x) for x in rest[11:15])


def tree_ticks(roots):
    """Ticks of every live process in the trees under the root PIDs (children's exited,
    reaped processes are in their parents' cutime/cstime)."""
    procs = {}
    for d in os.listdir('/proc'):
        if d.isdigit():
            s = _stat(int(d))
            if s:
                procs[int(d)] = s
    kids = {}
    for pid, (ppid, _) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    total, todo, seen = 0, [r for r in roots if r in procs], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += procs[p][1]
        todo += kids.get(p, [])
    return total


class Meter:
    """Wall time and CPU ticks of named process trees over one interval."""

    def __init__(self, groups):
        self.groups = groups                    # name -> callable returning root PIDs

    def __enter__(self):
        self.before = {k: tree_ticks(f()) for k, f in self.groups.items()}
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        after = {k: tree_ticks(f()) for k, f in self.groups.items()}
        self.cpu = {k: (after[k] - self.before[k]) / TICK for k in self.groups}
        return False


# ---------------------------------------------------------------------------------------------
# the simulated BMCs and prometheus-ipmi-exporter

def udp_free(addr, port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((addr, port))
            return True
        except OSError:
            return False


def start_sims(root, n, first):
    """n ipmi_sim BMCs on consecutive 127.0.0.x addresses from `first`, on UDP 623 (the
    exporter's target is then the bare address) or, where 623 is taken, a free port."""
    base = [int(x) for x in first.split('.')]
    sims = []
    for i in range(n):
        addr = '%d.%d.%d.%d' % (base[0], base[1], base[2], base[3] + i)
        sim = T.Sim(root, 'bmc%02d' % i, addr)
        if udp_free(addr, 623):
            sim.port = 623
        sims.append(sim)
        sim.start()
    return sims


def target_of(sim):
    return sim.addr if sim.port == 623 else '%s:%d' % (sim.addr, sim.port)


class Exporter:
    """prometheus-ipmi-exporter in multi-target mode, with its own HOME (FreeIPMI's SDR cache)."""

    def __init__(self, root, collectors, timeout_ms):
        self.root = os.path.join(root, 'exporter')
        os.makedirs(os.path.join(self.root, 'home'))
        self.conf = os.path.join(self.root, 'ipmi_remote.yml')
        fd = os.open(self.conf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)   # credentials
        with os.fdopen(fd, 'w') as f:
            f.write('modules:\n  default:\n    user: "%s"\n    pass: "%s"\n    driver: "LAN_2_0"\n'
                    '    privilege: "admin"\n    timeout: %d\n    collectors:\n%s'
                    '    workaround_flags:\n%s' % (
                        USER, PASSWORD, timeout_ms, ''.join('    - %s\n' % c for c in collectors),
                        ''.join('    - %s\n' % w for w in T.WORKAROUNDS)))
        self.proc = None
        self.port = None
        self.log = os.path.join(self.root, 'exporter.log')

    def start(self):
        for _ in range(5):
            self.port = H._free_port()
            env = dict(os.environ, HOME=os.path.join(self.root, 'home'))
            with open(self.log, 'ab') as logf:
                self.proc = subprocess.Popen(
                    [EXPORTER, '--config.file=' + self.conf, '--freeipmi.path=/usr/sbin',
                     '--web.listen-address=127.0.0.1:%d' % self.port, '--log.level=warn'],
                    stdout=logf, stderr=logf, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
            deadline = time.monotonic() + 10
            while self.proc.poll() is None and time.monotonic() < deadline:
                try:
                    socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                    return
                except OSError:
                    time.sleep(0.05)
            self.stop()
        raise RuntimeError('prometheus-ipmi-exporter did not listen; log:\n' + H._tail(self.log))

    def scrape(self, target):
        r = H.http_raw(self.port, H.build_request('GET', '/ipmi?module=default&target=' + target), timeout=60)
        body = r.body.decode('utf-8', 'replace')
        if r.status != 200 or 'ipmi_up{collector="ipmi"} 1' not in body \
                or 'ipmi_chassis_power_state ' not in body:
            raise RuntimeError('exporter scrape of %s: %d %s' % (target, r.status, body[-400:]))
        return body

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# ---------------------------------------------------------------------------------------------
# the service

class MetricsHarness(H.Harness):
    """The shared harness (emulator + service + nginx) with N BMCs and a short metrics.max_age."""

    def __init__(self, sims, max_age, workers):
        self.sims = sims
        self.max_age = max_age
        super().__init__(PLC_DATA, workers=workers, name='metrics-bench',
                         pre_start=lambda h: os.makedirs(os.path.join(h.run, 'sdr')))

    def config_dict(self):
        d = super().config_dict()
        d['ipmi'] = {'timeout': 5, 'workaround_flags': T.WORKAROUNDS,
                     'sdr_cache_dir': os.path.join(self.run, 'sdr'),
                     'racks': [{'rack_id': 'rack_1', 'bmcs': [
                         {'bmc_ip': s.addr, 'bmc_port': s.port, 'username': USER, 'password': PASSWORD,
                          'cipher_suite': 3} for s in self.sims]}]}
        d['metrics'] = {'max_age': self.max_age, 'timeout': 8}
        d['log'] = {'level': 'info', 'target': 'file', 'file': os.path.join(self.run, 'service.log')}
        return d

    def restart_service(self):
        """A fresh service (new workers, no IPMI session, scan cache deleted), same nginx."""
        workers = self.worker_pids()
        self.svc.send_signal(signal.SIGTERM)
        rc = self.svc.wait(15)
        if rc != 0:
            raise RuntimeError('opendcre-fcgi exited with %s after SIGTERM' % rc)
        deadline = time.monotonic() + 5
        while any(H._alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.start_service()


def samples(text, name):
    return [(labels or '', float(v)) for n, labels, v in SAMPLE.findall(text) if n == name]


def check_scrape(r, n):
    """The answer of one /metrics: 200, text format, every BMC and the PLC boards up."""
    body = r.body.decode('utf-8', 'replace')
    if r.status != 200:
        raise RuntimeError('/metrics answered %d: %s' % (r.status, body[:300]))
    ct = r.header1('content-type') or ''
    if not ct.startswith('text/plain'):
        raise RuntimeError('/metrics Content-Type %r' % ct)
    up = samples(body, 'opendcre_board_up')
    ipmi_up = [v for lab, v in up if 'backend="ipmi"' in lab]
    plc_up = [v for lab, v in up if 'backend="plc"' in lab]
    if len(ipmi_up) != n or any(v != 1 for v in ipmi_up):
        raise RuntimeError('/metrics: %d of %d IPMI boards up: %r' % (sum(v == 1 for v in ipmi_up), n, ipmi_up))
    if not plc_up or any(v != 1 for v in plc_up):
        raise RuntimeError('/metrics: PLC boards not up: %r' % plc_up)
    temps = [lab for lab, _ in samples(body, 'opendcre_temperature_celsius') if 'backend="ipmi"' in lab]
    if len(temps) < 2 * n:   # CPU Temp and Inlet Temp of every BMC
        raise RuntimeError('/metrics: %d IPMI temperatures for %d BMCs' % (len(temps), n))
    return body


def sessions_opened(body):
    s = samples(body, 'opendcre_ipmi_sessions_opened_total')
    return sum(v for _, v in s) if s else None


# ---------------------------------------------------------------------------------------------

def run_exporter(exp, sims, ns, rounds, res):
    targets = [target_of(s) for s in sims]
    # the first scrape of each target fills FreeIPMI's SDR cache (kept by ipmimonitoring)
    first = []
    for t in targets:
        with Meter({'exporter': lambda: [exp.proc.pid]}) as m:
            exp.scrape(t)
        first.append((m.wall, m.cpu['exporter']))
    res['exporter_first_scrape'] = {'wall_ms_mean': statistics.fmean(w for w, _ in first) * 1e3,
                                    'cpu_ms_mean': statistics.fmean(c for _, c in first) * 1e3}
    for n in ns:
        runs = []
        for _ in range(rounds):
            with Meter({'exporter': lambda: [exp.proc.pid], 'bmcs': lambda: [s.pid for s in sims[:n]]}) as m:
                for t in targets[:n]:
                    exp.scrape(t)
            runs.append(m)
        res.setdefault(n, {})['exporter'] = summary(runs, 'exporter')


def summary(runs, who):
    return {'n': len(runs), 'wall_ms': statistics.median(m.wall for m in runs) * 1e3,
            'wall_ms_min': min(m.wall for m in runs) * 1e3,
            'cpu_ms': statistics.fmean(m.cpu[who] for m in runs) * 1e3,
            'nginx_cpu_ms': statistics.fmean(m.cpu.get('nginx', 0.0) for m in runs) * 1e3,
            'bmc_cpu_ms': statistics.fmean(m.cpu['bmcs'] for m in runs) * 1e3}


def run_service(sims, n, args, res):
    h = MetricsHarness(sims[:n], args.max_age, args.workers)
    problems = []
    try:
        h.start()
        groups = {'service': lambda: [h.svc.pid], 'nginx': lambda: [h.ngx.pid],
                  'bmcs': lambda: [s.pid for s in sims[:n]]}
        path = None
        cold = []
        for i in range(args.cold):
            if i:
                h.restart_service()
                # the readings are cached for max_age in a file next to the scan cache, which
                # outlives the service: wait until it is stale, or this scrape would be served from it
                time.sleep(args.max_age + 0.1)
            for p in ([path] if path else METRICS_PATHS):
                with Meter(groups) as m:
                    r = h.get(p, timeout=60)
                if r.status != 404:
                    path = p
                    break
            check_scrape(r, n)
            cold.append(m)
        # open the sessions of every worker (which worker answers is the kernel's choice)
        for _ in range(3 * args.workers):
            time.sleep(args.max_age + 0.1)
            check_scrape(h.get(path, timeout=60), n)
        kept, opened = [], []
        with Meter(groups) as series:   # CPU: the whole series, finer than one scrape's ticks
            for _ in range(args.kept):
                time.sleep(args.max_age + 0.1)
                with Meter(groups) as m:
                    r = h.get(path, timeout=60)
                opened.append(sessions_opened(check_scrape(r, n)))
                kept.append(m)
        res.setdefault(n, {})['service_cold'] = summary(cold, 'service')
        res[n]['service_kept'] = summary(kept, 'service')
        res[n]['service_kept']['cpu_ms'] = series.cpu['service'] / args.kept * 1e3
        res[n]['service_kept']['nginx_cpu_ms'] = series.cpu['nginx'] / args.kept * 1e3
        # the series includes the pauses of max_age, when the BMCs idle (about 2 ms/s each)
        res[n]['service_kept']['bmc_cpu_ms'] = series.cpu['bmcs'] / args.kept * 1e3
        res[n]['path'] = path
        if opened[0] is not None:
            res[n]['service_kept']['sessions_opened'] = opened[-1] - opened[0]
    finally:
        problems += h.stop()
    if problems:
        raise RuntimeError('service: ' + '; '.join(problems))


def report(res, ns, args, load):
    print('# metrics scrape: N ipmi_sim BMCs + the PLC emulator (%s); service: %d workers, metrics.max_age '
          '%.1f s, through nginx (%s); prometheus-ipmi-exporter: collectors %s, one /ipmi?target= per BMC, '
          'sequential, summed; load average %s'
          % (os.path.basename(PLC_DATA), args.workers, args.max_age,
             next((res[n]['path'] for n in ns if 'path' in res.get(n, {})), '-'),
             ','.join(args.collectors), ' '.join(load)))
    print('# CPU in ms of the process tree (1 tick = %.0f ms; kept: mean of %d scrapes, cold: of %d, '
          'exporter: of %d rounds); BMCs: the N simulators\' CPU (kept: with the pauses of max_age, '
          'when they idle)' % (1e3 / TICK, args.kept, args.cold, args.rounds))
    if 'exporter_first_scrape' in res:
        f = res['exporter_first_scrape']
        print('# exporter, first scrape of a target (cold SDR cache), mean: %.1f ms wall, %.1f ms CPU'
              % (f['wall_ms_mean'], f['cpu_ms_mean']))
    print('%4s  %-38s %10s %10s %10s %10s' % ('N', 'scrape', 'wall ms', 'CPU ms', 'nginx ms', 'BMCs ms'))
    rows = (('service_cold', 'service /metrics, cold'), ('service_kept', 'service /metrics, kept sessions'),
            ('exporter', 'exporter, N targets summed'))
    for n in ns:
        for key, label in rows:
            s = res.get(n, {}).get(key)
            if s:
                extra = ''
                if s.get('sessions_opened') is not None:
                    extra = '  (sessions opened: %d)' % s['sessions_opened']
                print('%4d  %-38s %10.1f %10.1f %10s %10.1f%s' % (
                    n, label, s['wall_ms'], s['cpu_ms'],
                    '%.1f' % s['nginx_cpu_ms'] if key != 'exporter' else '-', s['bmc_cpu_ms'], extra))

    def ratio(a, b):
        return a / b if b > 0 else float('inf')
    if all('exporter' in res.get(n, {}) and 'service_kept' in res.get(n, {}) for n in ns):
        print('# exporter / service (kept sessions; cold in brackets): how many times faster and cheaper')
        for n in ns:
            e, k, c = res[n]['exporter'], res[n]['service_kept'], res[n]['service_cold']
            print('%4d  wall %6.1fx [%5.1fx]   CPU %6.1fx [%5.1fx]   CPU incl. nginx %6.1fx' % (
                n, ratio(e['wall_ms'], k['wall_ms']), ratio(e['wall_ms'], c['wall_ms']),
                ratio(e['cpu_ms'], k['cpu_ms']), ratio(e['cpu_ms'], c['cpu_ms']),
                ratio(e['cpu_ms'], k['cpu_ms'] + k['nginx_cpu_ms'])))
    lo, hi = ns[0], ns[-1]
    if hi > lo:
        print('# growth from N=%d to N=%d (x%d BMCs; linear = %.0f)' % (lo, hi, hi // lo, hi / lo))
        for key, label in rows:
            a, b = res.get(lo, {}).get(key), res.get(hi, {}).get(key)
            if a and b:
                print('      %-38s wall x%.1f   CPU x%.1f' % (label, ratio(b['wall_ms'], a['wall_ms']),
                                                            ratio(b['cpu_ms'], a['cpu_ms'])))
    k, e = res.get(hi, {}).get('service_kept'), res.get(hi, {}).get('exporter')
    if k and e:
        a = res[lo]['service_kept']
        print('# targets (reported, not judged), full rack N=%d: >= 10x faster: %s (%.1fx); >= 10x cheaper in '
              'CPU: %s (%.1fx); less than linear growth of the kept scrape: %s (wall x%.1f, CPU x%.1f for x%d BMCs)'
              % (hi, 'met' if ratio(e['wall_ms'], k['wall_ms']) >= 10 else 'MISSED', ratio(e['wall_ms'], k['wall_ms']),
                 'met' if ratio(e['cpu_ms'], k['cpu_ms']) >= 10 else 'MISSED', ratio(e['cpu_ms'], k['cpu_ms']),
                 'met' if ratio(k['wall_ms'], a['wall_ms']) < hi / lo and ratio(k['cpu_ms'], a['cpu_ms']) < hi / lo
                 else 'MISSED', ratio(k['wall_ms'], a['wall_ms']), ratio(k['cpu_ms'], a['cpu_ms']), hi // lo))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--ns', default='1,8,32', help='rack sizes (BMCs), ascending')
    ap.add_argument('--first-addr', default='127.0.0.101', help='address of the first BMC (then +1 each)')
    ap.add_argument('--cold', type=int, default=3, help='cold scrapes per N (a fresh service each)')
    ap.add_argument('--kept', type=int, default=20, help='kept-session scrapes per N')
    ap.add_argument('--rounds', type=int, default=3, help='exporter rounds (N scrapes each) per N')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--max-age', type=float, default=0.5, help='metrics.max_age of the service')
    ap.add_argument('--collectors', default='ipmi,chassis', help="the exporter's collectors")
    ap.add_argument('--only', choices=('exporter', 'service'), help='measure one side only')
    ap.add_argument('--json', help='also write the results as JSON here')
    args = ap.parse_args()
    ns = sorted({int(x) for x in args.ns.split(',')})
    args.collectors = [c for c in args.collectors.split(',') if c]

    if not shutil.which('ipmi_sim'):
        H.skip('ipmi_sim is not installed (apt-get install openipmi)')
    if args.only != 'service' and not os.access(EXPORTER, os.X_OK):
        H.skip('prometheus-ipmi-exporter is not installed (apt-get install prometheus-ipmi-exporter '
               'freeipmi-tools; etc/packages.sh group bench)')
    if args.only != 'exporter':
        if H.find_nginx() is None:
            H.skip('nginx is not installed (apt-get install nginx-light)')
        for exe in (H.FCGI_EXE, H.EMU_EXE):
            if not os.access(exe, os.X_OK):
                print('FAIL: executable %s not found (DCRE_BUILD=%s)' % (exe, H.BUILD), flush=True)
                return 1

    root = tempfile.mkdtemp(prefix='opendcre-metrics-bench-')
    sims, exp, problems, res = [], None, [], {}
    try:
        t = time.monotonic()
        sims = start_sims(root, ns[-1], args.first_addr)
        H.log('%d ipmi_sim BMCs started in %.1f s (%s .. %s)' % (len(sims), time.monotonic() - t,
                                                                 target_of(sims[0]), target_of(sims[-1])))
        if args.only != 'service':
            exp = Exporter(root, args.collectors, 10000)
            exp.start()
            run_exporter(exp, sims, ns, args.rounds, res)
            exp.stop()
        if args.only != 'exporter':
            for n in ns:
                run_service(sims, n, args, res)
        with open('/proc/loadavg') as f:
            load = f.read().split()[:3]
        report(res, ns, args, load)
        if args.json:
            with open(args.json, 'w') as f:
                json.dump({'results': {str(k): v for k, v in res.items()}, 'loadavg': load,
                           'workers': args.workers, 'max_age': args.max_age,
                           'collectors': args.collectors}, f, indent=2)
    except Exception as e:  # noqa: BLE001
        problems.append('%s: %s' % (type(e).__name__, e))
    finally:
        if exp is not None:
            exp.stop()
        for s in sims:
            s.stop()
        shutil.rmtree(root, ignore_errors=True)
    for p in problems:
        print('FAIL: ' + p, flush=True)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
