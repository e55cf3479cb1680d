#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""opendcre Redfish benchmark (stdlib only).

Latency of a Redfish read and a Redfish power status through the service, whose worker keeps one
libcurl handle (one TLS connection) and one session for the server, next to a fresh `curl`
process per request fetching the same Redfish resources from the same test server (a new TCP
connection, TLS handshake and HTTP Basic authentication every time, as a script or the original
service would).

  * the Redfish service: test/redfish/rf_server.py (single rackmount fixture) over HTTPS with a CA
    made at test time;
  * the service: opendcre-fcgi with 1 worker, requests sent straight to its FastCGI socket one at
    a time (no web server in the path);
  * curl: `curl --cacert CA -u USER:PASS URL...` per request: the read fetches Thermal, the power
    status Power and the System (both in one curl process, as the service needs both).

Prints mean, p50, p90 and p99 per case, and the test server's connection and login counts for the
service's run. A benchmark, not a test: it fails (exit 1) only when something did not run, and
exits 77 when curl or openssl is missing.

    test/bench/redfish_bench.py [--fcgi BUILD/fcgi-app/opendcre-fcgi] [--requests 500] [--json out.json]
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
sys.path.insert(0, os.path.join(HERE, '..', 'redfish'))
import rfhelp as RH  # noqa: E402

H = RH.H
SKIP = 77


def log(*a):
    print('#', *a, flush=True)


def pct(xs, p):
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def summary(name, xs):
    ms = [x * 1000 for x in xs]
    return {'case': name, 'n': len(ms), 'mean_ms': statistics.mean(ms), 'p50_ms': pct(ms, 50),
            'p90_ms': pct(ms, 90), 'p99_ms': pct(ms, 99)}


def service_case(h, uri, n, expect):
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = h.fcgi(uri)
        lat.append(time.perf_counter() - t0)
        if r.status != 200 or expect not in r.json():
            raise RuntimeError('%s answered %d %r' % (uri, r.status, r.body[:200]))
    return lat


def curl_case(curl, certs, srv, paths, n):
    cmd = [curl, '-sS', '--fail', '--cacert', certs['ca'], '-u', 'admin:' + RH.PASSWORD,
           '-H', 'Accept: application/json', '-H', 'OData-Version: 4.0']
    for p in paths:
        cmd += ['-o', '/dev/null', srv.url + p]
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        lat.append(time.perf_counter() - t0)
        if r.returncode != 0:
            raise RuntimeError('curl failed: %s' % r.stderr.decode(errors='replace'))
    return lat


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--fcgi', help='opendcre-fcgi executable (default: $DCRE_BUILD/fcgi-app/opendcre-fcgi)')
    ap.add_argument('--source', help='source tree (unused; for meson)')
    ap.add_argument('--requests', type=int, default=500)
    ap.add_argument('--json', help='write the figures here')
    a = ap.parse_args()
    if a.fcgi:
        H.FCGI_EXE = os.path.abspath(a.fcgi)
    curl = shutil.which('curl')
    if not curl or not shutil.which('openssl'):
        print('SKIP: curl and openssl are needed (apt-get install curl openssl)', flush=True)
        return SKIP
    if not os.access(H.FCGI_EXE, os.X_OK):
        print('FAIL: %s not found' % H.FCGI_EXE, flush=True)
        return 1
    tmp = tempfile.mkdtemp(prefix='opendcre-rf-bench-')
    srv = h = None
    results = []
    try:
        certs = RH.make_certs(tmp)
        srv = RH.RedfishServer('single', certs, log_dir=tmp, name='bench').start()
        cfg = {'timeout': 5, 'ca_file': certs['ca'],
               'racks': [{'rack_id': 'r', 'servers': [RH.server_entry(srv)]}]}
        h = RH.RfHarness(cfg, workers=1, name='rf-bench')
        h.start()
        read_uri = '/opendcre/1.3/read/temperature/r/70000000/0004'
        power_uri = '/opendcre/1.3/power/r/70000000/0100'
        n = a.requests
        service_case(h, read_uri, 5, 'temperature_c')        # discovery, login, warm-up
        service_case(h, power_uri, 5, 'power_status')
        warm = srv.stats()
        srv.reset_stats()
        results.append(summary('service read (reused connection + session)',
                               service_case(h, read_uri, n, 'temperature_c')))
        results.append(summary('service power status (reused connection + session)',
                               service_case(h, power_uri, n, 'power_status')))
        st = srv.stats()
        reused = {'warmup_connections': warm['connections'], 'warmup_logins': warm['logins'],
                  'connections': st['connections'], 'logins': st['logins'],
                  'redfish_requests': len(st['requests'])}
        results.append(summary('curl per request: GET Thermal (new TLS connection, Basic)',
                               curl_case(curl, certs, srv, ['/redfish/v1/Chassis/1/Thermal'], n)))
        results.append(summary('curl per request: GET Power + System (new TLS connection, Basic)',
                               curl_case(curl, certs, srv, ['/redfish/v1/Chassis/1/Power',
                                                            '/redfish/v1/Systems/1'], n)))
    except Exception as e:
        print('FAIL: %s' % e, flush=True)
        if h:
            h.dump_logs()
        return 1
    finally:
        if h:
            probs = h.stop()
            if probs:
                print('FAIL: %s' % '; '.join(probs), flush=True)
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print('%-66s %6s %8s %8s %8s %8s' % ('case', 'n', 'mean ms', 'p50 ms', 'p90 ms', 'p99 ms'))
    for r in results:
        print('%-66s %6d %8.2f %8.2f %8.2f %8.2f' % (r['case'], r['n'], r['mean_ms'], r['p50_ms'],
                                                      r['p90_ms'], r['p99_ms']))
    print('service: warm-up opened %d TLS connection(s) and %d session(s); the measured %d API requests '
          '(%d Redfish requests) opened %d more connection(s) and %d more session(s)'
          % (reused['warmup_connections'], reused['warmup_logins'], 2 * a.requests,
             reused['redfish_requests'], reused['connections'], reused['logins']))
    if a.json:
        with open(a.json, 'w') as f:
            json.dump({'results': results, 'service_run': reused}, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
