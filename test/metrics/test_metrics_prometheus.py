#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A real Prometheus (Debian's /usr/bin/prometheus) with the SHIPPED fleet configuration
(etc/prometheus/opendcre-fleet.yml, opendcre-alerts.yml; the test writes the target file and
rewrites only the intervals, the temperature threshold and the `for` durations) scrapes two
racks, each one service behind the shipped nginx snippet (/metrics):

* rack-a: the PLC emulator with the demo data (first answers) and one ipmi_sim BMC;
* rack-b: the PLC emulator with other data (test/ipmi/plc.json's board) and a thermistor that
  answers a hot value (ADC 0: 131.29 C).

Checks: promtool accepts the rewritten configuration; both targets up with their `rack` label;
PromQL queries give each rack's own values; the over-temperature alert fires for rack-b's hot
thermistor only; a BMC killed mid-run shows opendcre_board_up 0 within two scrapes while the
other boards of both racks keep reporting in the same scrapes.

Exit 0 pass, 1 fail, 77 skip (nginx, prometheus, promtool or ipmi_sim missing).
"""

import json
import os
import shutil
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mhelp as M  # noqa: E402
H = M.H
import test_ipmi as TI  # noqa: E402

R = H.Runner('test_metrics_prometheus')
DEMO = os.path.join(H.SOURCE, 'emulator', 'data', 'demo.json')
RACK_B_DATA = os.path.join(H.SOURCE, 'test', 'ipmi', 'plc.json')
INTERVAL = 4            # scrape and evaluation interval (s)
THRESHOLD = 100         # the temperature rule's threshold set by the test
METRICS_TIMEOUT = 3     # metrics.timeout of the services (below the scrape timeout)


class RackHarness(H.Harness):
    def __init__(self, data, rack, ipmi=None, **kw):
        super().__init__(data, pre_start=lambda h: os.makedirs(os.path.join(h.run, 'sdr')), **kw)
        self.rack, self.ipmi = rack, ipmi

    def config_dict(self):
        d = super().config_dict()
        d['plc']['rack_id'] = self.rack
        if self.ipmi:
            d['ipmi'] = dict(self.ipmi, sdr_cache_dir=os.path.join(self.run, 'sdr'))
        d['metrics'] = {'max_age': 1, 'timeout': METRICS_TIMEOUT}
        return d


def one(rows, what):
    assert len(rows) == 1, '%s: %d series %r' % (what, len(rows), rows)
    return rows[0]


def main():
    M.require('prometheus', 'promtool', 'ipmi_sim')
    tmp = tempfile.mkdtemp(prefix='opendcre-metrics-prom-')
    racks, prom, sim = [], None, None
    try:
        data_a = os.path.join(tmp, 'rack-a.json')
        M.steady_data(DEMO, data_a)
        data_b = os.path.join(tmp, 'rack-b.json')
        with open(RACK_B_DATA) as f:
            d = json.load(f)
        d['boards'][0]['devices'].append({'device_id': '0002', 'device_type': 'thermistor',
                                          'read': {'repeatable': True, 'responses': [0]}})
        with open(data_b, 'w') as f:
            json.dump(d, f)
        sim = TI.Sim(tmp, 'bmc-a', '127.0.0.1')
        sim.start()
        ipmi = {'timeout': TI.TIMEOUT, 'power_wait': 3, 'workaround_flags': TI.WORKAROUNDS,
                'racks': [{'rack_id': 'rack-a', 'bmcs': [
                    dict(bmc_ip=sim.addr, bmc_port=sim.port, username='admin', password='adminpass',
                         cipher_suite=3)]}]}
        ha = RackHarness(data_a, 'rack-a', ipmi, workers=2, name='rack-a')
        hb = RackHarness(data_b, 'rack-b', workers=2, name='rack-b')
        for h in (ha, hb):
            h.start()
            racks.append(h)
            H.expect_ok(h.fcgi(M.P13 + '/scan/force', timeout=60), None, h.rack + ' scan/force')
        prom = M.Prometheus(tmp, [('rack-a', '127.0.0.1:%d' % ha.port), ('rack-b', '127.0.0.1:%d' % hb.port)],
                            interval=INTERVAL, temp_threshold=THRESHOLD)
        prom.write_config()

        def config_ok():
            rc, out = prom.check_config()
            assert rc == 0, 'promtool check config: rc %d\n%s' % (rc, out)
        R.check('promtool check config on the shipped configuration with the test\'s targets', config_ok)
        prom.start()

        def targets_up():
            def both():
                rows = prom.query('up{job="opendcre"}')
                got = {lab.get('rack'): (lab.get('instance'), v) for lab, v in rows}
                return got if all(got.get(r, (0, 0))[1] == 1 for r in ('rack-a', 'rack-b')) else None
            got = prom.wait('both targets up', both, 6 * INTERVAL)
            assert got == {'rack-a': ('127.0.0.1:%d' % ha.port, 1.0), 'rack-b': ('127.0.0.1:%d' % hb.port, 1.0)}, got
        R.check('both racks scraped, up == 1, each target with its rack label', targets_up)

        def per_rack():
            q = prom.query
            lab, v = one(q('opendcre_temperature_celsius{rack="rack-a",board="00000001",device="01ff"}'), 'a 01ff')
            assert v == H.thermistor(656) and lab['backend'] == 'plc' and lab['device_type'] == 'thermistor', (lab, v)
            lab, v = one(q('opendcre_temperature_celsius{rack="rack-a",board="00000001",device="02ff"}'), 'a 02ff')
            assert v == 27.5, v
            lab, v = one(q('opendcre_temperature_celsius{rack="rack-b",board="00000011",device="0001"}'), 'b 0001')
            assert v == H.thermistor(601), v
            assert q('opendcre_temperature_celsius{rack="rack-b",board="00000001"}') == [], 'rack-b has no board 1'
            fans = {lab['rack']: v for lab, v in q('sum by (rack) (opendcre_fan_speed_rpm{backend="plc"})')}
            assert fans == {'rack-a': 4100 + 1200}, fans
            boards = {lab['rack']: v for lab, v in q('count by (rack) (opendcre_board_up == 1)')}
            assert boards == {'rack-a': 3, 'rack-b': 1}, boards
            ipmi = {lab['rack']: v for lab, v in q('opendcre_temperature_celsius{backend="ipmi",name="CPU Temp"}')}
            assert ipmi == {'rack-a': 45.0}, ipmi
            power = q('opendcre_power_watts{rack="rack-b",board="00000011",device="0003"}')
            assert one(power, 'b power')[1] == H.power8('0,1,2,3')['input_power'], power
            reqs = {lab['rack'] for lab, v in q('sum by (rack) (opendcre_http_requests_total)')}
            assert reqs == {'rack-a', 'rack-b'}, 'service counters by the target rack label: %r' % reqs
        R.check('PromQL: each rack\'s own values (PLC temperatures, fans, boards, IPMI, power, counters)',
                lambda: prom.wait('per-rack values', lambda: per_rack() or True, 3 * INTERVAL))

        def alert():
            def firing():
                rows = prom.query('ALERTS{alertname="OpendcreTemperatureHigh",alertstate="firing"}')
                return rows or None
            rows = prom.wait('temperature alert firing', firing, 6 * INTERVAL)
            got = sorted((lab['rack'], lab['board'], lab['device']) for lab, _ in rows)
            assert got == [('rack-b', '00000011', '0002')], got
        R.check('the over-temperature rule (threshold %d C) fires for rack-b\'s hot thermistor only' % THRESHOLD,
                alert)

        def bmc_killed():
            sel = 'opendcre_board_up{rack="rack-a",board="40000001"}'
            prom.wait('the BMC board up before the kill',
                      lambda: prom.query(sel) and prom.query(sel)[0][1] == 1, 3 * INTERVAL)
            t_kill = time.time()
            os.kill(sim.pid, signal.SIGKILL)

            def two_scrapes():
                s = one(prom.samples(sel, 60), 'board_up samples')[1]
                after = [(t, v) for t, v in s if t > t_kill]
                return after if len(after) >= 2 else None
            after = prom.wait('two scrapes after the kill', two_scrapes, 5 * INTERVAL)
            took = one(prom.samples('scrape_duration_seconds{rack="rack-a"}', 60), 'scrape duration')[1]
            state['took'] = [(round(t - t_kill, 2), round(v, 3)) for t, v in took if t > t_kill]
            H.log('rack-a scrape durations after the kill (s after it, duration): %r' % state['took'])
            zero = next((t for t, v in after[:2] if v == 0), None)
            H.log('board_up of the killed BMC after the kill (s after it, value): %r'
                  % [(round(t - t_kill, 2), v) for t, v in after])
            assert zero is not None, 'opendcre_board_up of the killed BMC after the kill: %r' % after
            # the other boards of the same scrape and of the other rack keep reporting
            others = prom.samples('opendcre_board_up{board!="40000001"}', 60)
            for lab, vals in others:
                if lab['rack'] == 'rack-a':        # the same scrape: the same timestamp
                    near = [v for t, v in vals if t == zero]
                else:
                    near = [v for t, v in vals if abs(t - zero) <= INTERVAL]
                assert near and all(v == 1 for v in near), '%r around the scrape at %.3f: %r' % (lab, zero, vals)
            assert {lab['rack'] for lab, _ in others} == {'rack-a', 'rack-b'}, others
            temps = prom.samples('opendcre_temperature_celsius{rack="rack-a",backend="plc"}', 60)
            assert temps and all(any(t == zero for t, _ in vals) for _, vals in temps), \
                'rack-a PLC temperatures missing in the scrape of the dead BMC: %r' % temps
            up = one(prom.samples('up{rack="rack-a"}', 60), 'up rack-a')[1]
            assert all(v == 1 for t, v in up if t > t_kill), \
                'rack-a target down after the kill (a scrape over scrape_timeout %d s): %r' % (INTERVAL, up)
        state = {}
        R.check('a BMC killed mid-run: board_up 0 within two scrapes, the other boards keep reporting',
                bmc_killed)

        def bounded():
            assert state.get('took'), 'no scrape after the kill'
            slow = [x for x in state['took'] if x[1] > METRICS_TIMEOUT + 0.5]
            assert not slow, 'scrapes of rack-a over metrics.timeout %g s (+0.5): %r' % (METRICS_TIMEOUT, slow)
        R.check('scrapes with the dead BMC end within metrics.timeout (+0.5 s for nginx)', bounded)
        R.check('the board-down rule fires for the killed BMC',
                lambda: prom.wait('board down alert', lambda: [
                    lab for lab, _ in prom.query('ALERTS{alertname="OpendcreBoardDown",alertstate="firing"}')
                    if lab.get('board') == '40000001' and lab.get('rack') == 'rack-a'], 4 * INTERVAL))
    finally:
        if prom is not None:
            prom.stop()
        for h in racks:
            R.harness_problems(h, '%s service: no crashes, clean shutdown' % h.rack)
        if sim is not None:
            sim.stop()
        if not R.failed and not H.KEEP:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            H.log('kept', tmp)


if __name__ == '__main__':
    R.main(main)
