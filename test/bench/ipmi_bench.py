#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""opendcre IPMI benchmark (stdlib only): latency of one sensor read and one power
status through the service, which keeps one IPMI 2.0 session per BMC per worker, next
to ipmitool and FreeIPMI's tools doing the same with a new process and a new session
every time, measured in the same run against the same simulated BMC (ipmi_sim started
from test/ipmi/start.sh, cipher suite 3).

Rows (one request at a time, wall time per request, median / p95 / mean / min):
  service FastCGI   a FastCGI request straight to the service socket (new connection each)
  service nginx     an HTTP request through nginx (new TCP connection each), if installed
  ipmitool          ipmitool -I lanplus -C 3 ... sensor reading "CPU Temp" / chassis power status
  ipmi-sensors      ipmi-sensors -D LAN_2_0 -I 3 -r 2 (warm SDR cache) / ipmi-power --stat

A benchmark, not a test: it reports and never judges. Exit 1 only when something did not
run (a process failed, a request answered an error), 77 when ipmi_sim is missing. The
client tools are optional (apt-get install ipmitool freeipmi-tools); missing ones are
left out of the table.

Run by `meson test -C BUILD --benchmark ipmi-bench -v`, or by hand:
  DCRE_BUILD=build test/bench/ipmi_bench.py [--samples 200] [--tool-samples 30] [--json out.json]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
sys.path.insert(0, os.path.join(HERE, '..', 'ipmi'))
import harness as H  # noqa: E402
import test_ipmi as T  # noqa: E402  (the simulator helpers: Sim, IpmiHarness)

READ = '/opendcre/1.3/read/temperature/rack_1/40000001/0001'
POWER = '/opendcre/1.3/power/rack_1/40000001/0100'


def stats(samples):
    s = sorted(samples)
    return {'n': len(s), 'median_ms': statistics.median(s) * 1e3,
            'p95_ms': s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))] * 1e3,
            'mean_ms': statistics.fmean(s) * 1e3, 'min_ms': s[0] * 1e3}


def timed_ok(fn, what):
    t = time.perf_counter()
    ok = fn()
    dt = time.perf_counter() - t
    if ok is not True:
        raise RuntimeError('%s failed: %s' % (what, ok))
    return dt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--samples', type=int, default=300, help='requests per service row')
    ap.add_argument('--tool-samples', type=int, default=40, help='invocations per client tool row')
    ap.add_argument('--rounds', type=int, default=5, help='interleaved rounds (samples are split across them)')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--json', help='also write the results as JSON here')
    args = ap.parse_args()

    if not shutil.which('ipmi_sim'):
        H.skip('ipmi_sim is not installed (apt-get install openipmi)')
    for exe in (H.FCGI_EXE, H.EMU_EXE):
        if not os.access(exe, os.X_OK):
            print('FAIL: executable %s not found (DCRE_BUILD=%s)' % (exe, H.BUILD), flush=True)
            return 1
    root = tempfile.mkdtemp(prefix='opendcre-ipmi-bench-')
    sim = T.Sim(root, 'bmc', '127.0.0.1')
    h = None
    problems = []
    try:
        sim.start()
        host = '%s:%d' % (sim.addr, sim.port)

        def section(hh):
            # timeout 10 s: a session idle while the client tools run stays below the
            # reuse limit (9.5 s), so every measured request uses a kept session
            return {'timeout': 10, 'workaround_flags': T.WORKAROUNDS, 'sdr_cache_dir': 'sdr',
                    'racks': [{'rack_id': 'rack_1', 'bmcs': [
                        {'bmc_ip': sim.addr, 'bmc_port': sim.port, 'username': 'admin',
                         'password': 'adminpass', 'cipher_suite': 3}]}]}
        h = T.IpmiHarness(section, os.path.join(root, 'service.log'), workers=args.workers, name='ipmi-bench',
                          start_nginx=H.find_nginx() is not None)
        h.start()

        def answer(r):
            return True if r.status == 200 else '%d %r' % (r.status, r.body[:300])

        def fcgi(uri):
            return lambda: answer(h.fcgi(uri))

        def nginx(uri):
            return lambda: answer(h.get(uri))

        # tools: credentials in a file / the environment, not in argv
        fconf = os.path.join(root, 'freeipmi.conf')
        with open(fconf, 'w') as f:
            f.write('username admin\npassword adminpass\ndriver-type LAN_2_0\n'
                    'cipher-suite-id 3\nworkaround-flags opensesspriv,nochecksumcheck\n')
        os.chmod(fconf, 0o600)
        env = dict(os.environ, IPMI_PASSWORD='adminpass')
        ipmitool = shutil.which('ipmitool')
        sensors = shutil.which('ipmi-sensors') or ('/usr/sbin/ipmi-sensors' if os.access('/usr/sbin/ipmi-sensors', os.X_OK) else None)
        power = shutil.which('ipmi-power') or ('/usr/sbin/ipmi-power' if os.access('/usr/sbin/ipmi-power', os.X_OK) else None)
        it = [ipmitool, '-I', 'lanplus', '-H', sim.addr, '-p', str(sim.port), '-U', 'admin', '-E', '-C', '3']
        sdr_dir = os.path.join(root, 'freeipmi-sdr')
        os.makedirs(sdr_dir)
        fi = ['-h', host, '--config-file=' + fconf]

        def tool(cmd, want):
            def run():
                p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
                out = p.stdout.decode(errors='replace')
                if p.returncode == 0 and want in out:
                    return True
                return 'exit %d: %s %s' % (p.returncode, out[-200:], p.stderr.decode(errors='replace')[-300:])
            return run

        rows = [('sensor read', 'service, FastCGI (kept session)', fcgi(READ), args.samples),
                ('power status', 'service, FastCGI (kept session)', fcgi(POWER), args.samples)]
        if h.ngx is not None:
            rows += [('sensor read', 'service, HTTP through nginx (kept session)', nginx(READ), args.samples),
                     ('power status', 'service, HTTP through nginx (kept session)', nginx(POWER), args.samples)]
        if ipmitool:
            rows += [('sensor read', 'ipmitool sensor reading (new session)',
                      tool(it + ['sensor', 'reading', 'CPU Temp'], 'CPU Temp'), args.tool_samples),
                     ('power status', 'ipmitool chassis power status (new session)',
                      tool(it + ['chassis', 'power', 'status'], 'Chassis Power is'), args.tool_samples)]
        if sensors:
            rows.append(('sensor read', 'ipmi-sensors -r 2, warm SDR cache (new session)',
                         tool([sensors] + fi + ['--sdr-cache-directory=' + sdr_dir, '-r', '2'], 'CPU Temp'), args.tool_samples))
        if power:
            rows.append(('power status', 'ipmi-power --stat (new session)',
                         tool([power] + fi + ['--stat'], ': on'), args.tool_samples))
        missing = [n for n, p in (('ipmitool', ipmitool), ('ipmi-sensors', sensors), ('ipmi-power', power)) if not p]

        for _, who, fn, _ in rows:          # warm-up: sessions opened, SDR read, tool caches filled
            for _ in range(args.workers * 3):
                timed_ok(fn, who)
        opens_before = h.log_text().count('session opened')
        samples = {i: [] for i in range(len(rows))}
        for rnd in range(args.rounds):      # interleaved, so drift of a shared machine hits every row
            for i, (_, who, fn, n) in enumerate(rows):
                per = n // args.rounds + (1 if rnd < n % args.rounds else 0)
                for _ in range(per):
                    samples[i].append(timed_ok(fn, who))
        opens = h.log_text().count('session opened') - opens_before

        with open('/proc/loadavg') as f:
            load = f.read().split()[:3]
        print('# IPMI latency, one request at a time, ipmi_sim on %s (cipher suite 3), %d service workers, '
              'load average %s' % (host, args.workers, ' '.join(load)))
        print('# service sessions opened while measuring: %d (kept sessions reused)' % opens)
        if missing:
            print('# not installed, left out: %s (apt-get install ipmitool freeipmi-tools)' % ', '.join(missing))
        print('%-13s %-52s %6s %9s %9s %9s %9s' % ('operation', 'client', 'n', 'median', 'p95', 'mean', 'min'))
        out = []
        for i, (op, who, _, _) in enumerate(rows):
            st = stats(samples[i])
            out.append(dict(st, operation=op, client=who))
            print('%-13s %-52s %6d %7.2fms %7.2fms %7.2fms %7.2fms' % (
                op, who, st['n'], st['median_ms'], st['p95_ms'], st['mean_ms'], st['min_ms']))
        if args.json:
            with open(args.json, 'w') as f:
                json.dump({'rows': out, 'sessions_opened': opens, 'loadavg': load}, f, indent=2)
    except Exception as e:  # noqa: BLE001
        problems.append('%s: %s' % (type(e).__name__, e))
    finally:
        if h is not None:
            problems += h.stop()
        sim.stop()
        shutil.rmtree(root, ignore_errors=True)
    for p in problems:
        print('FAIL: ' + p, flush=True)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
