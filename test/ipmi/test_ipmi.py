#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""IPMI bridge tests (ipmi.md, api.md §6, config.md §4/§10) against real OpenIPMI
ipmi_sim BMCs started from this folder's copy of the simulator (start.sh, lan.conf,
sim.emu, chassis_control.sh). stdlib only; run with /usr/bin/python3.

BMCs: A 127.0.0.1 (cipher suite 3, admin), B 127.0.0.2 (cipher suite 0, no
authentication, pinned board id 40000010), C 127.0.0.3 (wrong password), D 127.0.0.4
(unknown user); the PLC bus is the opendcre-emulator. The service runs with the shared
harness (test/integration/harness.py), requests go straight to its FastCGI socket, and a
few through nginx.

Exit 0 pass, 1 fail, 77 skip (ipmi_sim not installed: apt-get install openipmi).
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
import harness as H  # noqa: E402

START = os.path.join(HERE, 'start.sh')
SIM_EMU = os.path.join(HERE, 'sim.emu')
PLC_DATA = os.path.join(HERE, 'plc.json')
P12, P13 = '/opendcre/1.2', '/opendcre/1.3'
TIMEOUT = 1.0                   # ipmi.timeout of the main service
BOUND = 3 * TIMEOUT + 1         # ipmi.md §3: a request to a dead BMC ends within this
PROMPT = 0.75                   # other boards answer within this while a BMC hangs
WORKAROUNDS = ['opensesspriv', 'nochecksumcheck']   # what ipmi_sim needs (README)
PASSWORDS = ['adminpass', 'wrongpass-x']

SENSORS = [('0001', 'CPU Temp', 'temperature'), ('0002', 'Inlet Temp', 'temperature'),
           ('0003', 'Fan1', 'fan_speed'), ('0004', 'Fan2', 'fan_speed'),
           ('0005', '12V', 'voltage'), ('0006', '3.3V', 'voltage'),
           ('0007', 'PSU1 Power', 'power_supply'), ('0008', 'PSU1 Status', 'power_supply')]
EXTRA = ('000a', 'Exhaust Temp', 'temperature')
GHOST = ('000b', 'Ghost Temp', 'temperature')

ASSET = {
    'board_info': {'manufacturer': 'SimCorp', 'part_number': 'BRD-PN-1000',
                   'product_name': 'SimBoard X1', 'serial_number': 'BRD-SN-0001'},
    'chassis_info': {'chassis_type': 'Rack Mount Chassis', 'part_number': 'CHS-PN-0001',
                     'serial_number': 'CHS-SN-0001'},
    'product_info': {'asset_tag': 'ASSET-0001', 'manufacturer': 'SimCorp', 'part_number': 'SS1000-PN',
                     'product_name': 'SimServer 1000', 'serial_number': 'SYS-SN-0001', 'version': '1.0'},
}


def uptime():
    with open('/proc/uptime') as f:
        return float(f.read().split()[0])


def free_udp_port(addr):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            st = f.read()
        return st[st.rfind(')') + 2] != 'Z'
    except OSError:
        return False


class Sim:
    """One ipmi_sim BMC, started by start.sh; stopped by its PID only."""

    def __init__(self, root, name, addr):
        self.name = name
        self.addr = addr
        self.port = free_udp_port(addr)
        self.dir = os.path.join(root, name)
        self.pid = None
        self.started = 0.0

    def start(self, emu=SIM_EMU):
        # ipmi_sim stamps its SDR with the uptime second: a restart must land in a later
        # second, or the BMC could not tell its new SDR from the old one (the protocol's rule)
        if self.started:
            deadline = time.monotonic() + 2
            while int(uptime()) <= int(self.started) and time.monotonic() < deadline:
                time.sleep(0.02)
        env = dict(os.environ, SIM_EMU=emu)
        p = subprocess.run([START, self.addr, str(self.port), self.dir], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if p.returncode != 0:
            raise RuntimeError('start.sh %s failed: %s' % (self.name, p.stderr.decode(errors='replace')))
        self.pid = int(p.stdout.split()[0])
        self.started = uptime()

    def stop(self):
        if self.pid and alive(self.pid):
            os.kill(self.pid, signal.SIGCONT)
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while alive(self.pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            if alive(self.pid):
                os.kill(self.pid, signal.SIGKILL)
        self.pid = None

    def pause(self):
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.pid, signal.SIGCONT)

    def state(self, name):
        with open(os.path.join(self.dir, 'chassis', name)) as f:
            return f.read().strip()

    def set_sensor(self, name, value):
        path = os.path.join(self.dir, 'sensors', name)
        with open(path + '.tmp', 'w') as f:
            f.write('%s\n' % value)
        os.rename(path + '.tmp', path)


def extra_sensor_emu(dst):
    """sim.emu plus sensor 10 'Exhaust Temp' (a copy of CPU Temp's SDR, 33 C) and an SDR
    record for a sensor 11 'Ghost Temp' that the BMC does not have (0xCB on reading)."""
    with open(SIM_EMU) as f:
        text = f.read()
    m = re.search(r'# SDR type 0x01: CPU Temp\nmain_sdr_add 0x20 \\\n((?:\t[^\n]*\\\n)*\t[^\n]*\n)', text)
    cpu = [int(x, 16) for x in re.findall(r'0x[0-9a-f]{2}', m.group(1))]

    def record(number, name):
        rec = cpu[:47] + [0xC0 | len(name)] + list(name.encode())   # id string type/length at byte 47
        rec[0], rec[1], rec[7] = number + 2, 0x00, number           # record id, sensor number
        rec[4] = len(rec) - 5                                        # record length
        lines = ['\t' + ' '.join('0x%02x' % b for b in rec[i:i + 16]) for i in range(0, len(rec), 16)]
        return 'main_sdr_add 0x20 \\\n' + ' \\\n'.join(lines) + '\n'
    block = ('# Sensor 10: Exhaust Temp (added by test_ipmi.py)\n'
             'sensor_add 0x20 0 10 0x01 0x01 poll 500 file "sensors/exhaust_temp_c"\n'
             '#default sensors/exhaust_temp_c 33\n'
             'sensor_set_threshold 0x20 0 10 readable 111000 100 90 80 0 0 0\n'
             'sensor_set_event_support 0x20 0 10 enable scanning per-state \\\n'
             '\t000111111000000 000111111000000 \\\n\t000111111000000 000111111000000\n'
             'sensor_set_value 0x20 0 10 33 0\n' + record(10, EXTRA[1]) +
             '# Sensor 11: an SDR record without a sensor\n' + record(11, GHOST[1]) + '\n')
    text = text.replace('# Turn on the BMC\n', block + '# Turn on the BMC\n')
    with open(dst, 'w') as f:
        f.write(text)


def board(bid, hostnames, ips, sensors, api):
    devs = []
    for did, info, typ in [('0100', 'power', 'power'), ('0200', 'system', 'system'),
                           ('0300', 'led', 'led')] + sensors:
        d = {'device_id': did, 'device_type': typ}
        if api == '1.3' or did not in ('0100', '0200', '0300'):
            d['device_info'] = info
        devs.append(d)
    b = {'board_id': bid, 'devices': devs}
    if api == '1.3':
        b['hostnames'] = hostnames
        b['ip_addresses'] = ips
    return b


class IpmiHarness(H.Harness):
    """The shared harness with an ipmi section. The service logs at debug level (to show
    the sessions) into log_path, outside the run directory, so that the worker-exit lines
    can be read after the harness has cleaned up; stderr (sanitizer reports) stays in the
    harness's log."""

    def __init__(self, ipmi_section, log_path, **kw):
        self.ipmi_section = ipmi_section
        self.log_path = log_path
        super().__init__(PLC_DATA, pre_start=lambda h: os.makedirs(os.path.join(h.run, 'sdr')), **kw)

    def config_dict(self):
        d = super().config_dict()
        d['ipmi'] = self.ipmi_section(self)
        d['log'] = {'level': 'debug', 'target': 'file', 'file': self.log_path}
        return d

    def log_text(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')


def timed(fn, *a, **kw):
    t = time.monotonic()
    r = fn(*a, **kw)
    return r, time.monotonic() - t


class Tests:
    def __init__(self, R, root):
        self.R = R
        self.root = root
        self.A = Sim(root, 'bmc-a', '127.0.0.1')
        self.B = Sim(root, 'bmc-b', '127.0.0.2')
        self.C = Sim(root, 'bmc-c', '127.0.0.3')
        self.D = Sim(root, 'bmc-d', '127.0.0.4')
        self.sims = [self.A, self.B, self.C, self.D]
        self.extra_emu = os.path.join(root, 'sim-extra.emu')
        extra_sensor_emu(self.extra_emu)
        self.scan12 = None

    # ---- configuration

    def entries(self):
        A, B, C, D = self.sims
        return [
            dict(bmc_ip=A.addr, bmc_port=A.port, username='admin', password='adminpass', cipher_suite=3,
                 hostnames=['bmc-a']),
            dict(bmc_ip=B.addr, bmc_port=B.port, username='noauth', password='', cipher_suite=0,
                 board_id='40000010'),
            dict(bmc_ip=C.addr, bmc_port=C.port, username='admin', password='wrongpass-x'),
            dict(bmc_ip=D.addr, bmc_port=D.port, username='nosuchuser', password='adminpass'),
        ]

    def racks_section(self, h):
        """The service's own (OpenDCRE 1.3) racks shape, inline."""
        e = self.entries()
        return {'timeout': TIMEOUT, 'power_wait': 3, 'workaround_flags': WORKAROUNDS,
                'sdr_cache_dir': os.path.join(h.run, 'sdr'),
                'racks': [{'rack_id': 'rack_a', 'bmcs': [e[0]]}, {'rack_id': 'rack_b', 'bmcs': e[1:]}]}

    def flat_file_section(self, h, timeout):
        """OpenDCRE 1.2 bmc_config.json (flat, algorithm names) in a file."""
        names = {3: ('RAKP_HMAC_SHA1', 'HMAC_SHA1_96', 'AES_CBC_128'),
                 0: ('NO_AUTHENTICATION_ALGORITHM', 'NO_INTEGRITY_ALGORITHM', 'NO_ENCRYPTION_ALGORITHM')}
        bmcs = []
        for e in self.entries():
            e = dict(e)
            cs = e.pop('cipher_suite', 3)
            e.pop('hostnames', None)
            e['auth_type'], e['integrity_type'], e['encryption_type'] = names[cs]
            bmcs.append(e)
        bmcs[0]['hostnames'] = ['bmc-a']
        path = os.path.join(h.run, 'bmc_config.json')
        with open(path, 'w') as f:
            json.dump({'bmcs': bmcs}, f, indent=2)
        return {'file': 'bmc_config.json', 'rack_id': 'rack_a', 'timeout': timeout, 'power_wait': 3,
                'workaround_flags': WORKAROUNDS, 'sdr_cache_dir': 'sdr'}

    # ---- helpers

    def get(self, uri, timeout=30):
        return self.h.fcgi(uri, timeout=timeout)

    def ok(self, uri, expected):
        return H.expect_ok(self.get(uri), expected, uri)

    def err(self, uri, contains=(), prefix=None, message=None):
        msg = H.expect_error(self.get(uri), 500, H.version_of(uri), contains=contains, prefix=prefix,
                             message=message, what=uri)
        for p in PASSWORDS:
            assert p not in msg, '%s: the message shows a password: %r' % (uri, msg)
        return msg

    def value(self, uri, key, want, tol=1e-9):
        got = H.expect_ok(self.get(uri), None, uri)
        v = float(got[key])
        assert abs(v - want) <= tol, '%s: %s = %r, expected %r' % (uri, key, v, want)
        return got

    def wait_value(self, uri, key, want, timeout=5.0):
        """Poll until a reading shows want (the simulator re-reads its files every 500 ms)."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.get(uri)
            if r.status == 200 and abs(float(r.json().get(key, 'nan')) - want) < 1e-9:
                return r
            if time.monotonic() > deadline:
                raise AssertionError('%s: %s never became %r (last %d %r)' % (uri, key, want, r.status, r.body))
            time.sleep(0.1)

    def wait_ok(self, uri, timeout=10.0):
        """Poll until uri answers 200 (recovery after a BMC restart); returns the failures seen."""
        deadline = time.monotonic() + timeout
        failures = []
        while True:
            r = self.get(uri)
            if r.status == 200:
                return failures
            failures.append(r.json().get('message'))
            if time.monotonic() > deadline:
                raise AssertionError('%s did not recover within %.0f s: %r' % (uri, timeout, failures[-3:]))
            time.sleep(0.1)

    def session_opens(self, sim):
        return self.h.log_text().count('(%s:%d): session opened' % (sim.addr, sim.port))

    # ---- main service

    def run_main(self):
        R = self.R
        c = R.check
        self.h = h = IpmiHarness(self.racks_section, os.path.join(self.root, 'main.log'), workers=4,
                                 name='ipmi', start_nginx=H.find_nginx() is not None)
        try:
            h.start()
        except Exception as e:  # noqa: BLE001
            R.fail('main service: start', e)
            return
        try:
            self.scans(c)
            self.versions(c)
            self.reads(c)
            self.power(c)
            self.leds(c)
            self.boot(c)
            self.asset_host_location_fan(c)
            self.auth(c)
            self.nginx(c)
            self.sessions(c)
            self.dead_bmc(c)
            self.stale_sdr(c)
            c('no password in the service log', self.no_passwords_in_log)
        finally:
            R.harness_problems(h, 'main service: no crashes or sanitizer reports, clean shutdown')

    def scans(self, c):
        A, B, C, D = self.sims
        a13 = board('40000001', ['bmc-a'], ['127.0.0.1'], SENSORS, '1.3')
        b13 = board('40000010', ['127.0.0.2'], ['127.0.0.2'], SENSORS, '1.3')
        a12 = board('40000001', None, None, SENSORS, '1.2')
        b12 = board('40000010', None, None, SENSORS, '1.2')
        plc = H.expected_scan_boards(H.load_data(PLC_DATA))

        def errors_ok(body):
            errs = body.get('errors')
            assert [(e['backend'], e.get('board_id')) for e in errs] == \
                [('ipmi', '40000003'), ('ipmi', '40000004')], errs
            for e, sim in zip(errs, (C, D)):
                assert 'authentication failed' in e['message'] and '%s:%d' % (sim.addr, sim.port) in e['message'], e
                for p in PASSWORDS:
                    assert p not in e['message'], e

        def force13():
            got, dt = timed(self.get, P13 + '/scan/force')
            body = H.expect_ok(got, None, 'scan/force')
            errs = body.pop('errors', None)
            want = {'racks': [{'rack_id': 'vapor_plc_rack', 'boards': plc},
                              {'rack_id': 'rack_a', 'boards': [a13]}, {'rack_id': 'rack_b', 'boards': [b13]}]}
            assert H.same_literal(body, want), 'scan/force: %s\nexpected %s' % (json.dumps(body), json.dumps(want))
            errors_ok({'errors': errs})
            assert dt < BOUND, 'scan/force took %.2f s' % dt

        def cached12():
            body = H.expect_ok(self.get(P12 + '/scan'), None, '1.2 scan')
            errors_ok(body)
            body.pop('errors')
            assert H.same_literal(body, {'boards': plc + [a12, b12]}), json.dumps(body)
            self.scan12 = body

        def rack_b():
            body = H.expect_ok(self.get(P13 + '/scan/rack_b'), None, 'scan/rack_b')
            errors_ok(body)
            assert H.same_literal(body['racks'], [{'rack_id': 'rack_b', 'boards': [b13]}]), body

        c('1.3 scan/force: PLC, rack_a, rack_b with every SDR sensor of the four types; C and D in errors',
          force13)
        c('1.2 scan (from the cache): 1.2 board shapes, same errors', cached12)
        c('1.3 scan/<rack_id>: rack_b with its errors', rack_b)
        c('1.2 single-board scan', self.ok, P12 + '/scan/40000001', {'boards': [a12]})
        c('1.2 single-board scan of the pinned id', self.ok, P12 + '/scan/40000010', {'boards': [b12]})
        c('1.3 single-board scan by hostname', self.ok, P13 + '/scan/x/bmc-a', {'boards': [a13]})
        c('1.3 single-board scan by IP address (cipher suite 0 BMC)', self.ok, P13 + '/scan/x/127.0.0.2',
          {'boards': [b13]})
        c('1.3 single-board scan of a BMC that refuses us: 500 naming it', self.err,
          P13 + '/scan/rack_b/40000003', contains=['40000003', 'authentication failed'])

    def versions(self, c):
        c('1.2 version', self.ok, P12 + '/version/40000001',
          {'api_version': '1.2', 'firmware_version': 'OpenDCRE IPMI Bridge v2.0', 'opendcre_version': '1.2.0'})
        c('1.3 version by hostname', self.ok, P13 + '/version/rack_a/bmc-a',
          {'api_version': '1.3', 'firmware_version': 'OpenDCRE IPMI Bridge v2.0', 'opendcre_version': '1.3.0'})
        c('1.2: 40000000 names no board (Decision 2)', self.err, P12 + '/version/40000000',
          prefix='BMC with board_num was not found.')
        c('1.3: 40000000 names no board', self.err, P13 + '/version/rack_a/40000000',
          prefix='Board ID (0x40000000) not associated with any registered devicebus handler.')

    def reads(self, c):
        A = self.A
        r13 = P13 + '/read/%s/rack_a/40000001/%s'
        r12 = P12 + '/read/%s/40000001/%s'
        c('1.3 read temperature', self.ok, r13 % ('temperature', '0001'),
          {'health': 'ok', 'states': [], 'temperature_c': 45.0})
        c('1.2 read temperature', self.ok, r12 % ('temperature', '0001'), {'temperature_c': 45.0})
        c('1.3 read fan_speed', self.ok, r13 % ('fan_speed', '0003'), {'health': 'ok', 'speed_rpm': 4800.0, 'states': []})
        c('1.2 read fan_speed', self.ok, r12 % ('fan_speed', '0004'), {'speed_rpm': 5000.0})
        c('1.3 read voltage 12V', self.ok, r13 % ('voltage', '0005'), {'health': 'ok', 'states': [], 'voltage': 12.0})
        c('1.2 read voltage 3.3V (M=2, R=-2 as FreeIPMI converts it)', self.value, r12 % ('voltage', '0006'),
          'voltage', 3.3)
        c('1.3 read power_supply (discrete, sensor-specific)', self.ok, r13 % ('power_supply', '0008'),
          {'health': 'ok', 'states': ['presence detected']})
        c('1.3 read power_supply (threshold PSU sensor)', self.ok, r13 % ('power_supply', '0007'),
          {'health': 'ok', 'states': []})
        c('1.2 read power_supply: 500 (no 1.2 shape)', self.err, r12 % ('power_supply', '0008'),
          contains=['power_supply'])
        c('1.3 read by device name', self.ok, P13 + '/read/temperature/rack_a/bmc-a/Inlet%20Temp',
          {'health': 'ok', 'states': [], 'temperature_c': 24.0})
        c('1.3 read by device name, other case', self.ok, P13 + '/read/temperature/rack_a/127.0.0.1/cpu%20temp',
          {'health': 'ok', 'states': [], 'temperature_c': 45.0})
        c('cipher suite 0 BMC: read by pinned id', self.ok, P13 + '/read/temperature/rack_b/40000010/0002',
          {'health': 'ok', 'states': [], 'temperature_c': 24.0})
        c('a device of another type: 500', self.err, r13 % ('voltage', '0001'),
          contains=['40000001', "no voltage device '0001'"])
        c('a skipped sensor type (physical security 0009): 500', self.err, r13 % ('temperature', '0009'),
          contains=["no temperature device '0009'"])
        c('no such device: 500', self.err, r12 % ('temperature', '00ff'), contains=["'00ff'"])
        c('static devices have no reading: 500', self.err, r13 % ('temperature', 'power'), contains=["'power'"])
        c('a type IPMI has no sensors for: 500', self.err, r13 % ('thermistor', '0001'),
          contains=["no thermistor device"])

        def threshold(name, value, uri, key, want_value, health, states):
            A.set_sensor(name, value)
            self.wait_value(uri, key, want_value)
            got = self.value(uri, key, want_value)
            assert sorted(got) == sorted(['health', 'states', key]), got
            assert got['health'] == health and got['states'] == states, got

        up = 'above upper %s threshold'
        c('temperature at upper critical: critical with two states', threshold, 'cpu_temp_c', 95,
          r13 % ('temperature', '0001'), 'temperature_c', 95.0, 'critical',
          [up % 'non-critical', up % 'critical'])
        c('temperature at upper non-recoverable: failed', threshold, 'cpu_temp_c', 101,
          r13 % ('temperature', '0001'), 'temperature_c', 101.0, 'failed',
          [up % 'non-critical', up % 'critical', up % 'non-recoverable'])
        c('fan below lower critical: critical', threshold, 'fan1_rpm', 500, r13 % ('fan_speed', '0003'),
          'speed_rpm', 500.0, 'critical', ['below lower non-critical threshold', 'below lower critical threshold'])
        c('12V at upper non-critical: warning', threshold, 'p12v_mv', 12600, r13 % ('voltage', '0005'),
          'voltage', 12.6, 'warning', [up % 'non-critical'])

        def psu_failure():
            A.set_sensor('psu1_status', 3)
            uri = r13 % ('power_supply', '0008')
            deadline = time.monotonic() + 5
            while self.get(uri).json().get('health') != 'critical' and time.monotonic() < deadline:
                time.sleep(0.1)
            self.ok(uri, {'health': 'critical', 'states': ['presence detected', 'power supply failure detected']})
        c('power supply failure: critical', psu_failure)

        def restore():
            for name, v in (('cpu_temp_c', 45), ('fan1_rpm', 4800), ('p12v_mv', 12000), ('psu1_status', 1)):
                A.set_sensor(name, v)
            self.wait_value(r13 % ('temperature', '0001'), 'temperature_c', 45.0)
            self.wait_value(r13 % ('voltage', '0005'), 'voltage', 12.0)
        c('sensor values restored', restore)

    def power(self, c):
        A = self.A
        p13 = P13 + '/power/rack_a/40000001/0100'
        on13 = {'input_power': 'unknown', 'over_current': False, 'power_ok': True, 'power_status': 'on'}
        off13 = dict(on13, power_status='off')
        on12 = {'input_power': 0, 'input_voltage': 0, 'output_current': 0, 'over_current': False,
                'pmbus_raw': '0,0,0,0', 'power_ok': True, 'power_status': 'on', 'under_voltage': False}

        def state_is(want):
            assert A.state('power') == want, 'simulator power state %r, expected %r' % (A.state('power'), want)

        c('1.3 power status (no DCMI: input_power "unknown")', self.ok, p13, on13)
        c('1.2 power status: 8 keys, input_power 0', self.ok, P12 + '/power/40000001/0100', on12)
        c('1.3 power off', self.ok, p13 + '/off', off13)
        c('  ... the BMC is off', state_is, '0')
        c('1.2 power on, old style /power/on/<board>/<device>', self.ok, P12 + '/power/on/40000001/0100', on12)
        c('  ... the BMC is on', state_is, '1')
        c('1.3 power off, rack segment as the action', self.ok, P13 + '/power/off/40000001/0100', off13)
        c('1.3 power on by device name', self.ok, P13 + '/power/rack_a/bmc-a/power/on', on13)

        def cycle():
            before = open(os.path.join(A.dir, 'chassis', 'events.log')).read().count('set power')
            body = H.expect_ok(self.get(p13 + '/cycle'), None, 'cycle')
            assert sorted(body) == sorted(on13) and body['power_status'] in ('on', 'off'), body
            deadline = time.monotonic() + 5       # ipmi_sim powers on again about 1 s later
            while self.get(p13).json()['power_status'] != 'on':
                assert time.monotonic() < deadline, 'the host did not come back after the cycle'
                time.sleep(0.1)
            log = open(os.path.join(A.dir, 'chassis', 'events.log')).read().splitlines()
            sets = [ln.split(' ', 1)[1] for ln in log if 'set power' in ln][before:]
            assert sets[:2] == ['set power 0', 'set power 1'], sets
        c('1.3 power cycle: one Chassis Control power cycle (off, then on again)', cycle)
        c('power on the power device only: 0200 is 500', self.err, P13 + '/power/rack_a/40000001/0200',
          contains=["no power device '0200'"])
        c('cipher suite 0 BMC: power status', self.ok, P13 + '/power/rack_b/40000010/0100', on13)

    def leds(self, c):
        A = self.A
        l13 = P13 + '/led/rack_a/40000001/0300'

        def identify_is(force):
            f = A.state('identify').split()
            assert f[:2] == ['0', force], 'identify state %r, expected interval 0 force %s' % (f, force)

        # ipmi_sim's Get Chassis Status does not report the identify state (its README), so the
        # read-back that the answer reports is always "off"; the BMC's state file shows the command
        c('1.3 LED read', self.ok, l13, {'led_state': 'off'})
        c('1.3 LED on: Chassis Identify force on, then read back', self.ok, l13 + '/on', {'led_state': 'off'})
        c('  ... identify forced on', identify_is, '1')
        c('1.3 LED off', self.ok, l13 + '/off', {'led_state': 'off'})
        c('  ... identify off', identify_is, '0')
        c('1.3 LED no_override by name: forced on', self.ok, P13 + '/led/rack_a/bmc-a/led/no_override',
          {'led_state': 'off'})
        c('  ... identify forced on', identify_is, '1')
        c('1.2 LED set on the system device', self.ok, P12 + '/led/40000001/0200/off',
          {'led_color': 'unknown', 'led_state': 'off'})
        c('  ... identify off', identify_is, '0')
        c('1.2 LED read on the led device', self.ok, P12 + '/led/40000001/0300',
          {'led_color': 'unknown', 'led_state': 'off'})
        c('1.3 LED on the system device: 500', self.err, P13 + '/led/rack_a/40000001/0200',
          contains=["no led device '0200'"])
        c('1.2 LED colour: 500', self.err, P12 + '/led/40000001/0300/on/ff0000',
          prefix='LED color setting is not supported yet.')
        c('1.3 chamber LED: 500', self.err, P13 + '/led/rack_a/40000001/0300/on/ff0000/steady',
          prefix='Command "chamber_led" not supported for IPMI board 40000001')

    def boot(self, c):
        A = self.A
        b13 = P13 + '/boot_target/rack_a/40000001/0200'

        def boot_is(want):
            assert A.state('boot') == want, 'simulator boot device %r, expected %r' % (A.state('boot'), want)

        # ipmi_sim always reads the "boot flags valid" bit as 0 (its README), so what the BMC
        # reports back after a set is no_override (ipmi.md §5.4); its state file shows the device
        c('1.3 boot target get', self.ok, b13, {'target': 'no_override'})
        c('1.3 boot target pxe: set, then answer what the BMC reports', self.ok, b13 + '/pxe',
          {'target': 'no_override'})
        c('  ... the BMC boots from PXE', boot_is, 'pxe')
        c('1.2 boot target hdd', self.ok, P12 + '/boot_target/40000001/0200/hdd', {'target': 'no_override'})
        c('  ... the BMC boots from the hard drive', boot_is, 'default')
        c('1.3 boot target no_override by name', self.ok, P13 + '/boot_target/rack_a/bmc-a/system/no_override',
          {'target': 'no_override'})
        c('  ... no override', boot_is, 'none')
        c('boot target on the power device: 500', self.err, P12 + '/boot_target/40000001/0100',
          contains=["no system device '0100'"])
        c('invalid boot target: 500 before any traffic', self.err, b13 + '/cdrom', contains=["'cdrom'"])

    def asset_host_location_fan(self, c):
        c('1.3 asset from FRU 0', self.ok, P13 + '/asset/rack_a/40000001/0200', dict(ASSET, bmc_ip='127.0.0.1'))
        c('1.2 asset, cipher suite 0 BMC', self.ok, P12 + '/asset/40000010/0200', dict(ASSET, bmc_ip='127.0.0.2'))
        c('asset on the led device: 500', self.err, P13 + '/asset/rack_a/40000001/0300',
          contains=["no system device '0300'"])
        c('1.3 host_info (device id not checked)', self.ok, P13 + '/host_info/rack_a/bmc-a/ffff',
          {'hostnames': ['bmc-a'], 'ip_addresses': ['127.0.0.1']})
        c('1.3 location of a BMC', self.ok, P13 + '/location/rack_a/40000001', H.location(None))
        c('1.2 location with a device', self.ok, P12 + '/location/40000001/72df', H.location(0x72df))
        c('1.3 fan read', self.ok, P13 + '/fan/rack_a/40000001/0003', {'health': 'ok', 'speed_rpm': 4800.0, 'states': []})
        c('1.2 fan read', self.ok, P12 + '/fan/40000001/0003', {'speed_rpm': 4800.0})
        c('fan set: 500', self.err, P13 + '/fan/rack_a/40000001/0003/3000',
          message='Setting of fan speed is not permitted for IPMI board 40000001')
        c('1.2 fan set: 500', self.err, P12 + '/fan/40000010/0003/3000',
          message='Setting of fan speed is not permitted for IPMI board 40000010')

    def auth(self, c):
        C, D = self.C, self.D

        def refused(uri, sim):
            r, dt = timed(self.get, uri)
            H.expect_error(r, 500, H.version_of(uri), contains=[
                'authentication failed', 'session open', '%s:%d' % (sim.addr, sim.port)], what=uri)
            msg = r.json()['message']
            for p in PASSWORDS:
                assert p not in msg, msg
            assert dt < BOUND, '%.2f s' % dt
        c('wrong password: 500 "authentication failed", no password shown', refused,
          P13 + '/power/rack_b/40000003/0100', C)
        c('unknown user: 500 "authentication failed"', refused, P12 + '/read/temperature/40000004/0001', D)

    def nginx(self, c):
        if self.h.ngx is None:
            c('through nginx: skipped (nginx not installed)', lambda: None)
            return

        def via(uri, status, expected=None):
            r = self.h.get(uri)
            if status == 200:
                H.expect_ok(r, expected, uri)
            else:
                H.expect_error(r, status, H.version_of(uri), contains=['authentication failed'], what=uri)
        c('through nginx: 1.3 read', via, P13 + '/read/temperature/rack_a/bmc-a/0001', 200,
          {'health': 'ok', 'states': [], 'temperature_c': 45.0})
        c('through nginx: 1.2 asset', via, P12 + '/asset/40000001/0200', 200, dict(ASSET, bmc_ip='127.0.0.1'))
        c('through nginx: an IPMI error is a JSON 500', via, P13 + '/power/rack_b/40000004/0100', 500)

    def sessions(self, c):
        A = self.A
        uri = P13 + '/read/temperature/rack_a/40000001/0001'

        def kept():
            before = self.session_opens(A)
            for _ in range(20):
                H.expect_ok(self.get(uri), None, uri)
            opened = self.session_opens(A) - before
            assert opened <= self.h.workers, \
                '%d sessions opened for 20 requests with %d workers' % (opened, self.h.workers)

        def reopened():
            H.expect_ok(self.get(uri), None, uri)
            text = self.h.log_text()
            time.sleep(TIMEOUT)     # longer than the reuse limit (timeout - timeout/4)
            for _ in range(self.h.workers + 1):
                H.expect_ok(self.get(uri), None, uri)
            new = self.h.log_text()[len(text):]
            assert 'reopening' in new and 'no answer' not in new, new[-2000:]
        c('20 requests reuse the kept sessions (at most one open per worker)', kept)
        c('a session idle for nearly the timeout is reopened before use, with no error', reopened)

    def dead_bmc(self, c):
        A = self.A
        a_uri = P13 + '/power/rack_a/40000001/0100'
        b_uri = P13 + '/read/temperature/rack_b/40000010/0001'
        plc_uri = P13 + '/read/thermistor/vapor_plc_rack/00000011/0001'

        def hung_or_gone(contains):
            """A request to A fails within the bound, while B and the PLC bus answer at once."""
            out = {}

            def slow():
                out['r'], out['dt'] = timed(self.get, a_uri)
            t = threading.Thread(target=slow)
            t.start()
            deadline = time.monotonic() + 0.5
            others = []
            while t.is_alive() and time.monotonic() < deadline:     # while A's request is pending
                for uri in (b_uri, plc_uri):
                    r, dt = timed(self.get, uri)
                    H.expect_ok(r, None, uri)
                    others.append(dt)
                time.sleep(0.05)
            t.join(BOUND + 5)
            assert 'r' in out, 'the request to the dead BMC never ended'
            H.expect_error(out['r'], 500, '1.3', contains=['40000001', '%s:%d' % (A.addr, A.port)] + contains,
                           what=a_uri)
            H.log('dead BMC answered 500 after %.2f s: %s' % (out['dt'], out['r'].json()['message']))
            H.log('%d requests to B and the PLC bus meanwhile, slowest %.3f s' % (len(others), max(others or [0])))
            assert out['dt'] <= BOUND, 'the dead BMC answered after %.2f s (bound %.1f s)' % (out['dt'], BOUND)
            assert others, 'no request to another board ran while the dead BMC was pending'
            assert max(others) < PROMPT, 'other boards waited: %r' % others
            return out['r'].json()['message']

        def recovers():
            fails = self.wait_ok(a_uri)
            H.log('failures before recovery: %r' % fails)
            for _ in range(2 * self.h.workers):
                H.expect_ok(self.get(a_uri), None, a_uri)
            return fails

        c('session open first, so every worker may hold a kept session', lambda: [
            H.expect_ok(self.get(a_uri), None, a_uri) for _ in range(8)])
        A.pause()
        try:
            c('a hung BMC (SIGSTOP): 500 "no answer" within 3 x timeout + 1 s; B and PLC answer meanwhile',
              hung_or_gone, ['no answer within 1 s'])
            c('  ... and again (no session now: session open)', hung_or_gone, ['no answer within 1 s'])
        finally:
            A.resume()
        c('  ... the service recovers when the BMC answers again', recovers)

        def scan_hung(*sims):
            for sim in sims:
                sim.pause()
            try:
                r, dt = timed(self.get, P13 + '/scan/force')
            finally:
                for sim in sims:
                    sim.resume()
            body = H.expect_ok(r, None, 'scan/force')
            for sim, uri in ((A, a_uri), (self.B, b_uri)):
                if sim in sims:
                    self.wait_ok(uri)
            return [e.get('board_id') for e in body['errors']], dt

        def parallel_scan():
            """Backends are scanned in parallel. Each hung BMC costs at least one timeout
            (session open or command: no answer) and at most two (closing an idle kept
            session, then opening a new one), so four hung BMCs scanned one after another
            take at least 4 x timeout, in parallel at most about 2 x timeout."""
            ids, dt = scan_hung(*self.sims)
            H.log('scan/force with all four BMCs hung: %.2f s' % dt)
            assert ids == ['40000001', '40000010', '40000003', '40000004'], ids
            assert dt < 3 * TIMEOUT, \
                'four hung BMCs took %.2f s (one after another: >= %.1f s)' % (dt, 4 * TIMEOUT)
        c('scan/force with four hung BMCs: all in errors, in about the time of one (parallel scan-all)',
          parallel_scan)
        A.stop()

        def scan_without_a():
            r, dt = timed(self.get, P13 + '/scan/force')
            body = H.expect_ok(r, None, 'scan/force')
            assert [e.get('board_id') for e in body['errors']] == ['40000001', '40000003', '40000004'], body['errors']
            assert 'no answer within 1 s' in body['errors'][0]['message'], body['errors'][0]
            assert [rk['rack_id'] for rk in body['racks']] == ['vapor_plc_rack', 'rack_b'], body['racks']
            assert dt <= 3 * BOUND, '%.2f s' % dt

        c('a stopped BMC (killed): 500 within the bound; B and PLC answer meanwhile', hung_or_gone,
          ['no answer within 1 s'])
        c('scan/force with A down: 200, A listed in errors, the rest scanned', scan_without_a)

    def stale_sdr(self, c):
        A = self.A
        x_uri = P13 + '/read/temperature/rack_a/40000001/' + EXTRA[0]
        a13 = board('40000001', ['bmc-a'], ['127.0.0.1'], SENSORS + [EXTRA, GHOST], '1.3')

        def restart_changed():
            A.start(self.extra_emu)
            H.log('failures before the new sensor answered: %r' % self.wait_ok(x_uri))
            for _ in range(2 * self.h.workers):     # every worker: its SDR copy or the shared file
                self.ok(x_uri, {'health': 'ok', 'states': [], 'temperature_c': 33.0})
                self.ok(P13 + '/read/temperature/rack_a/40000001/0001',
                        {'health': 'ok', 'states': [], 'temperature_c': 45.0})
            files = sorted(os.listdir(os.path.join(self.h.run, 'sdr')))
            want = sorted('sdr-%s:%d.cache' % (s.addr, s.port) for s in (A, self.B))
            assert files == want, 'SDR cache files %r, expected %r (no temporary files left)' % (files, want)

        def scan_shows():
            body = H.expect_ok(self.get(P13 + '/scan/force'), None, 'scan/force')
            rack = [rk for rk in body['racks'] if rk['rack_id'] == 'rack_a']
            assert rack and H.same_literal(rack[0]['boards'], [a13]), json.dumps(rack)
            self.ok(P13 + '/scan/rack_a/bmc-a', {'boards': [a13]})
        c('BMC restarted with a changed SDR (one more sensor): reads of the new sensor work (stale SDR rebuilt)',
          restart_changed)
        c('  ... scan/force and the single-board scan show the new sensor', scan_shows)
        c('  ... by name too', self.ok, P13 + '/read/temperature/rack_a/bmc-a/exhaust%20temp',
          {'health': 'ok', 'states': [], 'temperature_c': 33.0})

        def ghost():
            text = self.h.log_text()
            self.err(P13 + '/read/temperature/rack_a/40000001/' + GHOST[0],
                     contains=['Get Sensor Reading', 'completion code 0xC'])   # 0xCB, ipmi_sim: 0xCC
            assert 'reading the SDR again' in self.h.log_text()[len(text):], 'no SDR rebuild after 0xCB'
        c('a sensor the BMC says is not there (0xCB/0xCC): the SDR is read again once, then 500', ghost)
        A.stop()
        A.start()
        c('BMC restarted with the original SDR: the extra sensor is gone again (500)',
          lambda: (self.wait_ok(P13 + '/read/temperature/rack_a/40000001/0001'),
                   self.err(x_uri, contains=["'000a'"])))

    def no_passwords_in_log(self):
        text = self.h.log_text()
        for p in PASSWORDS:
            assert p not in text, 'password %r in the service log' % p

    # ---- a second service: OpenDCRE 1.2 file shape, one worker, BMC restarts between requests

    def run_flat(self):
        R = self.R
        c = R.check
        timeout = 3.0
        self.h = h = IpmiHarness(lambda hh: self.flat_file_section(hh, timeout),
                                 os.path.join(self.root, 'flat.log'), workers=1, name='ipmi-flat',
                                 start_nginx=False)
        try:
            h.start()
        except Exception as e:  # noqa: BLE001
            R.fail('1.2-shape service: start', e)
            return
        A = self.A
        try:
            def same_boards():
                H.expect_ok(self.get(P13 + '/scan/force'), None, 'scan/force')
                body = H.expect_ok(self.get(P12 + '/scan'), None, '1.2 scan')
                body.pop('errors', None)
                assert self.scan12 is not None, 'the main service gave no 1.2 scan to compare with'
                assert body == self.scan12, 'boards differ:\n%s\n%s' % (json.dumps(body), json.dumps(self.scan12))
                self.ok(P13 + '/read/temperature/rack_a/bmc-a/0001', {'health': 'ok', 'states': [], 'temperature_c': 45.0})
                self.ok(P13 + '/power/rack_a/40000010/0100',
                        {'input_power': 'unknown', 'over_current': False, 'power_ok': True, 'power_status': 'on'})
            c('OpenDCRE 1.2 bmc_config.json (flat, algorithm names, in a file) gives the same boards and ids '
              'as the 1.3 racks shape', same_boards)

            uri = P13 + '/read/temperature/rack_a/40000001/0001'

            def restart_between():
                self.ok(uri, {'health': 'ok', 'states': [], 'temperature_c': 45.0})
                before = self.session_opens(A)
                A.stop()
                A.start()
                results = [self.get(uri) for _ in range(4)]
                codes = [r.status for r in results]
                H.log('statuses after the restart: %r %s' % (codes, results[0].body.decode()[:200]))
                assert codes in ([200] * 4, [500] + [200] * 3), 'statuses after the restart: %r (%r)' % (
                    codes, [r.body for r in results])
                if codes[0] == 500:
                    assert 'no answer' in results[0].json()['message'], results[0].body
                assert self.session_opens(A) - before == 1, 'one new session expected'
            c('a BMC restarted between requests breaks the kept session for at most one request', restart_between)
        finally:
            R.harness_problems(h, '1.2-shape service: no crashes, clean shutdown')

        def closed_at_exit():
            text = h.log_text()
            for s in (A, self.B):
                tail = text[text.rfind('(%s:%d): session opened' % (s.addr, s.port)):]
                assert '(%s:%d): session closed' % (s.addr, s.port) in tail, \
                    'no Close Session for %s at worker exit' % s.name
        c('the worker closes its sessions when it exits', closed_at_exit)

    def invalid_config(self):
        def refused():
            d = tempfile.mkdtemp(prefix='opendcre-ipmi-cfg-', dir=self.root)
            path = os.path.join(d, 'opendcre.json')
            secret = 'Pw-' + 'x' * 30
            with open(path, 'w') as f:
                json.dump({'ipmi': {'racks': [{'rack_id': 'r', 'bmcs': [
                    {'bmc_ip': '10.0.0.5', 'username': 'admin', 'password': 'ok'},
                    {'bmc_ip': '10.0.0.6', 'username': 'admin', 'password': secret}]}]}}, f)
            p = subprocess.run([H.FCGI_EXE, '--config', path, '--check-config'], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=30)
            err = p.stderr.decode()
            assert p.returncode == 1, (p.returncode, err)
            assert '%s: ipmi.racks[0].bmcs[1].password: ' % path in err, err
            assert secret not in err and 'Pw-' not in err, err
        self.R.check('an invalid BMC entry refuses start-up naming file, BMC and key, not the password', refused)

    def stop_sims(self):
        for s in self.sims:
            try:
                s.stop()
            except OSError:
                pass


def main():
    if not shutil.which('ipmi_sim'):
        H.skip('ipmi_sim is not installed (apt-get install openipmi)')
    for exe in (H.FCGI_EXE, H.EMU_EXE):
        if not os.access(exe, os.X_OK):
            print('FAIL: executable %s not found (DCRE_BUILD=%s)' % (exe, H.BUILD), flush=True)
            sys.exit(1)
    R = H.Runner('test_ipmi')
    root = tempfile.mkdtemp(prefix='opendcre-ipmi-')
    t = Tests(R, root)
    try:
        for s in t.sims:
            s.start()
        t.run_main()
        t.stop_sims()
        for s in t.sims:
            s.start()
        t.run_flat()
        t.invalid_config()
    except Exception as e:  # noqa: BLE001
        R.fail('test run', e)
    finally:
        t.stop_sims()
        if not R.failed and not H.KEEP:
            shutil.rmtree(root, ignore_errors=True)
        else:
            H.log('simulator state kept in', root)
    R.finish()


if __name__ == '__main__':
    main()
