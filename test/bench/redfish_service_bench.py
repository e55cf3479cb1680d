#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""opendcre Redfish front end benchmark (stdlib only).

Through nginx (the TLS server with HTTP Basic of test/redfish_service/rfsvc.py), in the same run
and against the same boards (PLC emulator, ipmi_sim, rf_server.py), the latency of:

  * a Redfish Thermal GET of a board (/redfish/v1/Chassis/<board>/Thermal), and
  * the equivalent OpenDCRE reads of the same board: one /opendcre/1.3/read/<type>/... per
    temperature and fan device, one after the other (what a client needs for the same data);
  * a Redfish Reset (POST ComputerSystem.Reset, ForceOff then On) and the equivalent OpenDCRE
    power off / on.

One kept-alive HTTPS connection per case, requests one at a time. Prints mean, p50, p90, p99
per case and board. A benchmark, not a test: it fails (exit 1) only when a request did not
answer 2xx (an OpenDCRE read of a sensor without a reading may answer 500, as the API does), and exits 77 when a tool is missing.

    test/bench/redfish_service_bench.py [--requests 100] [--resets 10] [--json out.json]
"""

import argparse
import base64
import http.client
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'redfish_service'))
import rfsvc  # noqa: E402

TEMPS, FANS = ('temperature', 'thermistor'), ('fan_speed', 'vapor_fan')


class Client:
    def __init__(self, s):
        self.s = s
        self.c = http.client.HTTPSConnection('127.0.0.1', s.port, context=s.ctx, timeout=60)
        self.auth = 'Basic ' + base64.b64encode(('%s:%s' % (rfsvc.USER, rfsvc.PASSWORD)).encode()).decode()

    def do(self, method, path, body=None, errors_ok=False):
        hd = {'Authorization': self.auth}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hd['Content-Type'] = 'application/json'
        t = time.perf_counter()
        self.c.request(method, path, body=data, headers=hd)
        r = self.c.getresponse()
        out = r.read()
        dt = time.perf_counter() - t
        if r.status // 100 != 2 and not (errors_ok and r.status == 500):
            raise RuntimeError('%s %s: %d %r' % (method, path, r.status, out[:200]))
        return dt, out


def stats(xs):
    xs = sorted(xs)
    q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))]  # noqa: E731
    return {'n': len(xs), 'mean_ms': statistics.mean(xs) * 1e3, 'p50_ms': q(0.5) * 1e3,
            'p90_ms': q(0.9) * 1e3, 'p99_ms': q(0.99) * 1e3}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--requests', type=int, default=100)
    ap.add_argument('--resets', type=int, default=10)
    ap.add_argument('--json')
    a = ap.parse_args()
    s = rfsvc.Setup('rfbench')
    s.start()
    results = {}
    try:
        cl = Client(s)
        for kind in ('plc', 'ipmi', 'redfish'):
            b = s.ids[kind]
            rack = s.racks[b]
            scan = json.loads(cl.do('GET', '/opendcre/1.3/scan')[1])
            devs = [d for r in scan['racks'] for bd in r['boards'] if bd['board_id'] == b
                    for d in bd['devices'] if d['device_type'] in TEMPS + FANS]
            reads = ['/opendcre/1.3/read/%s/%s/%s/%s' % (d['device_type'], rack, b, d['device_id'])
                     for d in devs]
            rf, od = [], []
            for _ in range(a.requests):
                rf.append(cl.do('GET', '/redfish/v1/Chassis/%s/Thermal' % b)[0])
                # a device without a reading answers the OpenDCRE API's 500 (Redfish: null)
                od.append(sum(cl.do('GET', p, errors_ok=True)[0] for p in reads))
            results['%s thermal: Redfish Thermal GET' % kind] = stats(rf)
            results['%s thermal: OpenDCRE reads (%d devices)' % (kind, len(reads))] = stats(od)
            power_dev = '0006' if kind == 'plc' else '0100'
            rs, ps = [], []
            reset = '/redfish/v1/Systems/%s/Actions/ComputerSystem.Reset' % b
            n = a.resets if kind == 'plc' else max(1, a.resets // 5)   # IPMI/Redfish wait for the host
            for _ in range(n):
                rs.append(cl.do('POST', reset, {'ResetType': 'ForceOff'})[0])
                rs.append(cl.do('POST', reset, {'ResetType': 'On'})[0])
                ps.append(cl.do('GET', '/opendcre/1.3/power/%s/%s/%s/off' % (rack, b, power_dev))[0])
                ps.append(cl.do('GET', '/opendcre/1.3/power/%s/%s/%s/on' % (rack, b, power_dev))[0])
            results['%s power: Redfish Reset POST' % kind] = stats(rs)
            results['%s power: OpenDCRE power off/on' % kind] = stats(ps)
    finally:
        problems = s.stop()
    print('%-48s %5s %9s %9s %9s %9s' % ('case', 'n', 'mean ms', 'p50 ms', 'p90 ms', 'p99 ms'))
    for k, v in results.items():
        print('%-48s %5d %9.2f %9.2f %9.2f %9.2f' % (k, v['n'], v['mean_ms'], v['p50_ms'], v['p90_ms'],
                                                    v['p99_ms']))
    if a.json:
        with open(a.json, 'w') as f:
            json.dump(results, f, indent=2)
    if problems:
        print('problems: %s' % problems)
        sys.exit(1)


if __name__ == '__main__':
    main()
