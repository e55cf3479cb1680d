#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""/metrics of one service with every backend (issue 13): the PLC emulator with the demo data
(emulator/data/demo.json, each answer list cut to its first answer so that a reading does not
change between the scrape and the REST read), two ipmi_sim BMCs as test/ipmi runs them (cipher
suite 3 with a password; cipher suite 0 with a pinned board id) and the two Redfish test servers
of test/redfish (single, multinode paged). Through nginx with the shipped snippet:

* /opendcre/metrics and /metrics answer 200 with the 0.0.4 Content-Type, and
  `promtool check metrics` finds nothing to say about the live answer;
* every family of the issue is there (readings, board_up, scrape duration per backend,
  build_info, the service's counters);
* every value equals the same reading through the REST API (1.3 routes) for every device of the
  scan, with the labels rack, board, device, device_type, backend (and name for bridge sensors);
  readings the API does not know are left out.

Exit 0 pass, 1 fail, 77 skip (nginx, promtool, ipmi_sim or openssl missing).
"""

import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mhelp as M  # noqa: E402
H = M.H
import rfhelp as RH  # noqa: E402
import test_ipmi as TI  # noqa: E402

R = H.Runner('test_metrics_live')
DEMO = os.path.join(H.SOURCE, 'emulator', 'data', 'demo.json')
PLC_RACK = 'rack-live'


class LiveHarness(H.Harness):
    def __init__(self, data, ipmi, redfish, **kw):
        super().__init__(data, pre_start=lambda h: os.makedirs(os.path.join(h.run, 'sdr')), **kw)
        self.ipmi, self.redfish = ipmi, redfish

    def config_dict(self):
        d = super().config_dict()
        d['plc']['rack_id'] = PLC_RACK
        d['ipmi'] = dict(self.ipmi, sdr_cache_dir=os.path.join(self.run, 'sdr'))
        d['redfish'] = self.redfish
        d['metrics'] = {'max_age': 1, 'timeout': 8}
        return d


def main():
    M.require('promtool', 'ipmi_sim', 'openssl')
    tmp = tempfile.mkdtemp(prefix='opendcre-metrics-live-')
    sims, servers, h = [], [], None
    try:
        data = os.path.join(tmp, 'demo-steady.json')
        plc = M.steady_data(DEMO, data)
        plc_boards = {'%08x' % int(b['board_id'], 16) for b in plc['boards']}
        a = TI.Sim(tmp, 'bmc-a', '127.0.0.1')
        b = TI.Sim(tmp, 'bmc-b', '127.0.0.2')
        for s in (a, b):
            s.start()
            sims.append(s)
        certs = RH.make_certs(tmp)
        single = RH.RedfishServer('single', certs, log_dir=tmp).start()
        servers.append(single)
        multi = RH.RedfishServer('multinode', certs, options={'page_size': 1}, log_dir=tmp, name='multi').start()
        servers.append(multi)
        ipmi = {'timeout': TI.TIMEOUT, 'power_wait': 3, 'workaround_flags': TI.WORKAROUNDS,
                'racks': [{'rack_id': 'rack_ipmi', 'bmcs': [
                    dict(bmc_ip=a.addr, bmc_port=a.port, username='admin', password='adminpass', cipher_suite=3,
                         hostnames=['bmc-a']),
                    dict(bmc_ip=b.addr, bmc_port=b.port, username='noauth', password='', cipher_suite=0,
                         board_id='40000010')]}]}
        redfish = {'timeout': 3, 'power_wait': 3, 'ca_file': certs['ca'],
                   'racks': [{'rack_id': 'rack_rf', 'servers': [
                       RH.server_entry(single, hostnames=['rf-single']),
                       RH.server_entry(multi, hostnames=['rf-multi'], board_id='70000010')]}]}
        h = LiveHarness(data, ipmi, redfish, workers=3, name='metrics-live')
        try:
            h.start()
        except Exception as e:  # noqa: BLE001
            R.fail('service with PLC, IPMI and Redfish boards starts', e)
            h = None
            return
        H.expect_ok(h.fcgi(M.P13 + '/scan/force', timeout=60), None, 'scan/force')
        state = {}

        def answers():
            state['text'], state['samples'] = M.get_metrics(h, '/opendcre/metrics')
            _, other = M.get_metrics(h, '/metrics')
            readings = sorted((n, sorted(lab.items()), v) for n, lab, v in state['samples']
                              if n in M.READING_FAMILIES + M.BOARD_FAMILIES)
            readings2 = sorted((n, sorted(lab.items()), v) for n, lab, v in other
                               if n in M.READING_FAMILIES + M.BOARD_FAMILIES)
            assert readings and readings == readings2, \
                '/metrics and /opendcre/metrics differ in their readings:\n%r\n%r' % (readings[:5], readings2[:5])
        R.check('/opendcre/metrics and /metrics through nginx: 200, %s, the same readings' % M.CONTENT_TYPE,
                answers)

        def promtool():
            rc, out = M.promtool_metrics(state['text'].encode())
            assert rc == 0 and not out.strip(), 'promtool check metrics: rc %d\n%s' % (rc, out[:3000])
        R.check('promtool check metrics on the live answer: clean', promtool)

        def families():
            names = {M.family_of(n) for n, _, _ in state['samples']}
            missing = [f for f in M.READING_FAMILIES + M.BOARD_FAMILIES + M.SERVICE_FAMILIES if f not in names]
            assert not missing, 'families missing: %r' % missing
            backends = {lab.get('backend') for n, lab, _ in state['samples']
                        if n == 'opendcre_scrape_duration_seconds'}
            assert backends >= {'plc', 'ipmi', 'redfish'}, 'scrape duration per backend: %r' % backends
            bi = [(lab, v) for n, lab, v in state['samples'] if n == 'opendcre_build_info']
            assert len(bi) == 1 and bi[0][1] == 1 and bi[0][0].get('version'), bi
        R.check('every family of the issue is in the answer', families)

        def boards():
            up = {(lab['rack'], lab['board'], lab['backend']): v for n, lab, v in state['samples']
                  if n == 'opendcre_board_up'}
            want = {(PLC_RACK, bid, 'plc') for bid in plc_boards} | \
                {('rack_ipmi', '40000001', 'ipmi'), ('rack_ipmi', '40000010', 'ipmi'),
                 ('rack_rf', '70000000', 'redfish'), ('rack_rf', '70000010', 'redfish')}
            assert set(up) == want and all(v == 1 for v in up.values()), 'board_up %r, expected 1 for %r' % (up, want)
        R.check('opendcre_board_up 1 for the 2 PLC, 2 IPMI and 2 Redfish boards', boards)

        def equal():
            _, samples = M.get_metrics(h, '/metrics')
            problems = M.compare(h, samples, plc_boards)
            n = [x for x in samples if x[0] in M.READING_FAMILIES]
            H.log('%d reading samples compared, %d devices with readings' % (len(n), len({(l['rack'], l['board'], l['device']) for _, l, _ in n})))
            assert not problems, '%d differences:\n' % len(problems) + '\n'.join(problems[:60])
        R.check('every value in /metrics equals the REST reading, every device of demo.json and the bridges',
                equal)

        def chassis_reads():
            # the simulator runs its chassis_control.sh once per Get Chassis Status (gets.log)
            def gets(s):
                try:
                    with open(os.path.join(s.dir, 'chassis', 'gets.log')) as f:
                        return len(f.readlines())
                except FileNotFoundError:
                    return 0
            time.sleep(h.config_dict()['metrics']['max_age'] + 0.2)   # the shared readings are stale: collect
            before = [gets(s) for s in sims]
            _, samples = M.get_metrics(h, '/metrics')
            sent = [gets(s) - b for s, b in zip(sims, before)]
            leds = [lab['board'] for n, lab, _ in samples if n == 'opendcre_led_on' and lab['backend'] == 'ipmi']
            power = [lab['board'] for n, lab, _ in samples if n == 'opendcre_power_on' and lab['backend'] == 'ipmi']
            assert sorted(leds) == sorted(power) == ['40000001', '40000010'], (leds, power)
            assert sent == [1, 1], 'Get Chassis Status per BMC in one collection: %r' % sent
        R.check('one collection asks each BMC once for its chassis status (power and LED share it)',
                chassis_reads)

        def redfish_gets():
            time.sleep(h.config_dict()['metrics']['max_age'] + 0.2)
            for srv in servers:
                srv.reset_stats()
            _, samples = M.get_metrics(h, '/metrics')
            rf = [x for x in samples if x[0] in M.READING_FAMILIES and x[1]['backend'] == 'redfish']
            assert len(rf) > 10, 'Redfish readings in the scrape: %d' % len(rf)
            for srv in servers:
                gets = [r['path'] for r in srv.stats()['requests'] if r['method'] == 'GET']
                twice = sorted({p for p in gets if gets.count(p) > 1})
                assert gets and not twice, '%s: GET more than once in one collection: %r (%d GETs)' % (
                    srv.name, twice, len(gets))
            H.log('%d Redfish reading samples' % len(rf))
        R.check('one collection GETs each Redfish resource once (its reads share it)', redfish_gets)
    finally:
        if h is not None and h.svc is not None:
            R.harness_problems(h, 'service: no crashes, clean shutdown')
        for s in servers:
            s.stop()
        for s in sims:
            s.stop()
        if not R.failed and not H.KEEP:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            H.log('kept', tmp)


if __name__ == '__main__':
    R.main(main)
