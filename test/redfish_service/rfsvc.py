#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The service's Redfish front end with real boards behind it, for the redfish-service tests:
a PLC bus (the emulator, two boards), an IPMI BMC (ipmi_sim, test/ipmi) and a Redfish server
(test/redfish/rf_server.py, HTTPS), all behind nginx with the shipped snippet in a TLS server
that requires HTTP Basic authentication (as the example site etc/nginx/opendcre-site.conf)."""

import base64
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
sys.path.insert(0, os.path.join(HERE, '..', 'redfish'))
sys.path.insert(0, os.path.join(HERE, '..', 'ipmi'))

import harness as H  # noqa: E402
import rfhelp as RH  # noqa: E402
import test_ipmi as TI  # noqa: E402

USER, PASSWORD = 'admin', 'rf-secret'
PLC_BOARD, PLC_BARE = '00000011', '00000012'     # with power/LED/boot target; a sensor only
PLC_RACK, IPMI_RACK, RF_RACK = 'rack_plc', 'rack_ipmi', 'rack_rf'


def plc_data():
    """Board 11: thermistor, humidity, pressure, fan, LED, power, system (boot target, asset) with
    state; board 12: one thermistor and nothing to control."""
    return {'boards': [
        {'board_id': PLC_BOARD, 'firmware_version': 'PLC Board 11', 'devices': [
            {'device_id': '0001', 'device_type': 'thermistor', 'read': {'repeatable': True, 'responses': [656]}},
            {'device_id': '0002', 'device_type': 'humidity',
             'read': {'repeatable': True, 'responses': [1486313281]}},
            {'device_id': '0003', 'device_type': 'pressure', 'read': {'repeatable': True, 'responses': ['101']}},
            {'device_id': '0004', 'device_type': 'fan_speed', 'has_state': True, 'read': 4100, 'write': 4100},
            {'device_id': '0005', 'device_type': 'led', 'has_state': True, 'read': 0, 'write': 0},
            {'device_id': '0006', 'device_type': 'power', 'has_state': True, 'power': '0,6043,19199,2155',
             'on': '0,6043,19199,2155', 'off': '64,0,0,0'},
            {'device_id': '0007', 'device_type': 'system', 'has_state': True, 'boot_target': 'B0',
             'hdd': 'B0', 'pxe': 'B1', 'no_override': 'B2',
             'asset_info': {'repeatable': True, 'responses': [
                 'Example Corp,PB-100,Example Board,SB12345,rack mount chassis,PC-200,SC12345,AT-0001,'
                 'Example Corp,PP-300,Example Server,SP12345,v1.0']}},
        ]},
        {'board_id': PLC_BARE, 'firmware_version': 'PLC Board 12', 'devices': [
            {'device_id': '0001', 'device_type': 'thermistor', 'read': {'repeatable': True, 'responses': [656]}},
        ]},
    ]}


class Setup:
    """Everything started; stop() ends it. ids: board ids by backend ('plc', 'ipmi', 'redfish')."""

    def __init__(self, name):
        self.root = tempfile.mkdtemp(prefix='dcre-rfsvc-')
        self.name = name
        self.sim = self.srv = self.h = None

    def start(self):
        if not shutil.which('ipmi_sim'):
            H.skip('ipmi_sim is not installed (apt-get install openipmi)')
        if not shutil.which('openssl'):
            H.skip('openssl is not installed')
        H.require_tools()
        self.certs = RH.make_certs(self.root)
        self.sim = TI.Sim(self.root, 'bmc', '127.0.0.1')
        self.sim.start()
        self.srv = RH.RedfishServer('single', certs=self.certs, log_dir=self.root).start()
        data = os.path.join(self.root, 'plc.json')
        with open(data, 'w') as f:
            json.dump(plc_data(), f)
        self.htpasswd = os.path.join(self.root, 'htpasswd')
        hashed = subprocess.run(['openssl', 'passwd', '-apr1', PASSWORD], stdout=subprocess.PIPE,
                                check=True).stdout.decode().strip()
        with open(self.htpasswd, 'w') as f:
            f.write('%s:%s\n' % (USER, hashed))
        self.fake_source = os.path.join(self.root, 'src')
        os.makedirs(os.path.join(self.fake_source, 'etc', 'nginx'))
        shutil.copy(os.path.join(H.SOURCE, 'etc', 'nginx', 'opendcre.conf'),
                    os.path.join(self.fake_source, 'etc', 'nginx', 'opendcre.conf'))
        with open(os.path.join(H.SOURCE, 'etc', 'nginx', 'demo.conf.in')) as f:
            demo = f.read()
        # the example site's TLS server: ssl and auth_basic at server level
        demo = demo.replace('listen @LISTEN@;', 'listen @LISTEN@ ssl;\n'
                            '        ssl_certificate %s;\n        ssl_certificate_key %s;\n'
                            '        auth_basic "OpenDCRE";\n        auth_basic_user_file %s;'
                            % (self.certs['cert'], self.certs['key'], self.htpasswd))
        with open(os.path.join(self.fake_source, 'etc', 'nginx', 'demo.conf.in'), 'w') as f:
            f.write(demo)
        sim, srv, certs, root = self.sim, self.srv, self.certs, self.root

        class Harness(H.Harness):
            def config_dict(self):
                d = super().config_dict()
                d['plc']['rack_id'] = PLC_RACK
                d['ipmi'] = {'timeout': 1.0, 'power_wait': 3, 'workaround_flags': TI.WORKAROUNDS,
                             'sdr_cache_dir': os.path.join(root, 'sdr'),
                             'racks': [{'rack_id': IPMI_RACK, 'bmcs': [
                                 dict(bmc_ip=sim.addr, bmc_port=sim.port, username='admin',
                                      password='adminpass', cipher_suite=3)]}]}
                d['redfish'] = {'timeout': 3, 'power_wait': 3, 'ca_file': certs['ca'],
                                'racks': [{'rack_id': RF_RACK, 'servers': [RH.server_entry(srv)]}]}
                d['log'] = {'level': 'info', 'target': 'file', 'file': os.path.join(root, 'service.log')}
                return d

        os.makedirs(os.path.join(root, 'sdr'), exist_ok=True)
        saved = H.SOURCE
        H.SOURCE = self.fake_source
        try:
            self.h = Harness(data, workers=2, name=self.name, start_nginx=True)
            self.h.start()
        finally:
            H.SOURCE = saved
        self.port = self.h.port
        self.ctx = ssl.create_default_context(cafile=self.certs['ca'])
        scan = self.api('/opendcre/1.3/scan')[1]
        self.ids, self.racks = {}, {}
        for rack in scan['racks']:
            for b in rack['boards']:
                kind = 'plc' if b['board_id'] in (PLC_BOARD, PLC_BARE) else (
                    'ipmi' if rack['rack_id'] == IPMI_RACK else 'redfish')
                if b['board_id'] != PLC_BARE:
                    self.ids[kind] = b['board_id']
                self.racks[b['board_id']] = rack['rack_id']
        return self

    @property
    def base(self):
        return 'https://127.0.0.1:%d' % self.port

    def request(self, method, path, body=None, headers=None, auth=True, raw=None):
        """(status, headers dict (lower-case names), body bytes)."""
        c = http.client.HTTPSConnection('127.0.0.1', self.port, context=self.ctx, timeout=60)
        hd = dict(headers or {})
        if auth:
            hd['Authorization'] = 'Basic ' + base64.b64encode(('%s:%s' % (USER, PASSWORD)).encode()).decode()
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            hd.setdefault('Content-Type', 'application/json')
        try:
            c.request(method, path, body=data, headers=hd)
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def get(self, path, **kw):
        st, hd, body = self.request('GET', path, **kw)
        try:
            doc = json.loads(body) if body else None
        except ValueError:
            doc = None
        return st, doc, hd

    def api(self, path):
        """An OpenDCRE API answer: (status, JSON)."""
        st, doc, _ = self.get(path)
        return st, doc

    def service_log(self):
        with open(os.path.join(self.root, 'service.log'), 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def stop(self):
        problems = []
        if self.h:
            problems = self.h.stop()
        if self.srv:
            self.srv.stop()
        if self.sim:
            self.sim.stop()
        if os.environ.get('DCRE_KEEP') != '1':
            shutil.rmtree(self.root, ignore_errors=True)
        return problems
