#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Helpers for the Redfish tests: a CA and server certificate made with openssl at test time,
the project's Redfish test server (rf_server.py) as a subprocess with its control endpoint, a
Harness whose configuration carries a redfish section, and the board records and readings the
spec (redfish.md §4-§5) gives for a fixture."""

import http.client
import json
import os
import select
import shutil
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
sys.path.insert(0, HERE)

import harness as H  # noqa: E402
import rf_server  # noqa: E402

SERVER = os.path.join(HERE, 'rf_server.py')
PASSWORD = 'secret'


def require_tools():
    if not shutil.which('openssl'):
        H.skip('openssl is not installed (apt-get install openssl); the Redfish tests make their '
               'CA and server certificate with it')
    if not os.access(H.FCGI_EXE, os.X_OK):
        print('FAIL: executable %s not found (DCRE_BUILD=%s)' % (H.FCGI_EXE, H.BUILD), flush=True)
        sys.exit(1)


def _openssl(*args, cwd):
    r = subprocess.run(['openssl'] + list(args), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise RuntimeError('openssl %s failed: %s' % (' '.join(args), r.stdout.decode(errors='replace')))


def make_ca(d, name):
    key, pem = os.path.join(d, name + '.key'), os.path.join(d, name + '.pem')
    _openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
             '-keyout', key, '-out', pem, '-days', '2', '-subj', '/CN=opendcre test %s' % name,
             '-addext', 'basicConstraints=critical,CA:TRUE',
             '-addext', 'keyUsage=critical,keyCertSign,cRLSign', cwd=d)
    return key, pem


def make_certs(d):
    """CA, a server certificate it signs (127.0.0.1 and localhost), and an unrelated CA."""
    ca_key, ca = make_ca(d, 'ca')
    _, other_ca = make_ca(d, 'other-ca')
    key, csr, cert = (os.path.join(d, n) for n in ('server.key', 'server.csr', 'server.pem'))
    ext = os.path.join(d, 'server.ext')
    with open(ext, 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n'
                'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n')
    _openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
             '-keyout', key, '-out', csr, '-subj', '/CN=localhost', cwd=d)
    _openssl('x509', '-req', '-in', csr, '-CA', ca, '-CAkey', ca_key, '-CAcreateserial', '-out', cert,
             '-days', '2', '-extfile', ext, cwd=d)
    return {'ca': ca, 'other_ca': other_ca, 'cert': cert, 'key': key}


class RedfishServer:
    """rf_server.py in a subprocess (HTTPS when certs are given)."""

    def __init__(self, fixture, certs=None, options=None, log_dir=None, name=None):
        self.fixture = fixture
        self.name = name or fixture
        self.certs = certs
        self.options = options or {}
        self.log_dir = log_dir
        self.proc = None
        self.port = None

    def start(self, timeout=10.0):
        cmd = [sys.executable, SERVER, '--fixture', self.fixture]
        if self.certs:
            cmd += ['--cert', self.certs['cert'], '--key', self.certs['key']]
        if self.options:
            path = os.path.join(self.log_dir, 'rf-%s-options.json' % self.name)
            with open(path, 'w') as f:
                json.dump({'options': self.options}, f)
            cmd += ['--config', path]
        self.log = open(os.path.join(self.log_dir, 'rf-%s.log' % self.name), 'ab')
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        line = b''
        fd = self.proc.stdout.fileno()
        while not line.endswith(b'\n'):
            left = deadline - time.monotonic()
            r, _, _ = select.select([fd], [], [], max(left, 0))
            if not r:
                raise RuntimeError('rf_server did not print its ready line')
            d = os.read(fd, 1)
            if not d:
                raise RuntimeError('rf_server exited (rc %s)' % self.proc.wait())
            line += d
        self.port = int(line.split()[1])
        return self

    @property
    def scheme(self):
        return 'https' if self.certs else 'http'

    @property
    def url(self):
        return '%s://127.0.0.1:%d' % (self.scheme, self.port)

    def _conn(self):
        if self.certs:
            ctx = ssl.create_default_context(cafile=self.certs['ca'])
            return http.client.HTTPSConnection('127.0.0.1', self.port, context=ctx, timeout=10)
        return http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)

    def control(self, what, body=None, method='POST'):
        c = self._conn()
        try:
            data = json.dumps(body).encode() if body is not None else b''
            c.request(method, '/_emulator/' + what, body=data if method == 'POST' else None,
                      headers={'Content-Type': 'application/json'})
            r = c.getresponse()
            out = r.read()
            if r.status != 200:
                raise RuntimeError('control %s: %d %r' % (what, r.status, out[:200]))
            return json.loads(out)
        finally:
            c.close()

    def stats(self):
        return self.control('stats', method='GET')

    def reset_stats(self):
        self.control('reset_stats', {})

    def options_set(self, **opts):
        self.control('options', opts)

    def fault(self, **f):
        self.control('fault', f)

    def clear_faults(self):
        self.control('clear_faults', {})

    def resource(self, path):
        return self.control('resource?path=' + path, method='GET')

    def set(self, path, merge):
        self.control('set', {'path': path, 'merge': merge})

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.proc.stdout.close()
            self.log.close()
        self.proc = None


def server_entry(srv, **extra):
    e = {'redfish_ip': '127.0.0.1', 'redfish_port': srv.port, 'username': 'admin', 'password': PASSWORD}
    e.update(extra)
    return e


class RfHarness(H.Harness):
    """The service with a redfish section (and no PLC bus); nginx optional."""

    def __init__(self, redfish, workers=2, start_nginx=False, name='rf'):
        super().__init__('api.json', workers=workers, name=name, start_nginx=start_nginx)
        self.redfish = redfish

    def start_emulator(self, timeout=10.0):
        self.emu = None          # no PLC bus here: the service runs without one

    def config_dict(self):
        return {'redfish': self.redfish,
                'scan_cache': {'file': self.cachefile, 'cache_timeout': 600},
                'log': {'level': 'debug', 'target': 'stderr'}}

    def log_text(self):
        with open(self.svc_log, 'rb') as f:
            return f.read().decode('utf-8', 'replace')


# ------------------------------------------------------------------------------------------
# what the spec says the service answers for a fixture

ARRAYS = [('Thermal', 'Fans', 'fan_speed', 'Reading'), ('Thermal', 'Temperatures', 'temperature', 'ReadingCelsius'),
          ('Power', 'Voltages', 'voltage', 'ReadingVolts'), ('Power', 'PowerSupplies', 'power_supply', None)]
VALUE_KEY = {'fan_speed': 'speed_rpm', 'temperature': 'temperature_c', 'voltage': 'voltage'}


class Board:
    """A fixture seen through redfish.md §4: the chosen system, chassis, thermal, power and the
    sensor list with (array entry) for each device id."""

    def __init__(self, fixture, board_id, hostnames, ips):
        res, colls, _ = rf_server.FIXTURES[fixture]()
        self.res = res
        self.board_id = board_id
        self.hostnames, self.ips = hostnames, ips
        self.system = colls['/redfish/v1/Systems'][0]
        sysres = res[self.system]
        self.chassis = sysres['Links']['Chassis'][0]['@odata.id']
        self.manager = colls['/redfish/v1/Managers'][0]
        self.thermal = self.power = None
        c = self.chassis
        while c and (self.thermal is None or self.power is None):
            ch = res[c]
            if self.thermal is None and 'Thermal' in ch:
                self.thermal = ch['Thermal']['@odata.id']
            if self.power is None and 'Power' in ch:
                self.power = ch['Power']['@odata.id']
            c = ch.get('Links', {}).get('ContainedBy', {}).get('@odata.id')
        self.sensors = []      # (device_id, name, type, entry)
        n = 0
        for resname, arr, typ, _ in ARRAYS:
            path = self.thermal if resname == 'Thermal' else self.power
            for e in (res[path].get(arr) or []) if path else []:
                self.sensors.append(('%04x' % n, e['Name'], typ, e))
                n += 1

    def record(self, api):
        devs = [{'device_id': '0100', 'device_info': 'power', 'device_type': 'power'},
                {'device_id': '0200', 'device_info': 'system', 'device_type': 'system'},
                {'device_id': '0300', 'device_info': 'led', 'device_type': 'led'}]
        if api == '1.2':
            for d in devs:
                del d['device_info']
        devs += [{'device_id': i, 'device_info': name, 'device_type': t} for i, name, t, _ in self.sensors]
        b = {'board_id': self.board_id, 'devices': devs}
        if api == '1.3':
            b['hostnames'] = self.hostnames
            b['ip_addresses'] = self.ips
        return b

    def reading(self, api, dev_id):
        _, name, typ, e = next(s for s in self.sensors if s[0] == dev_id)
        val_key = dict((a[2], a[3]) for a in ARRAYS)[typ]
        out = {}
        if val_key:
            out[VALUE_KEY[typ]] = float(e[val_key])
        if api == '1.3':
            health = (e.get('Status', {}).get('Health') or 'unknown').lower()
            st = e.get('Status', {}).get('State')
            out['health'] = health
            out['states'] = [] if health in ('ok', 'unknown') or not st else [st.lower()]
        return out

    def sensor(self, pred):
        return next(s for s in self.sensors if pred(s))
