#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Helpers of the metrics tests (issue 13): a parser of the Prometheus text format, promtool,
a real Prometheus started from the shipped fleet configuration (etc/prometheus), the families
the issue fixes, and the REST reading each sample must equal. stdlib only."""

import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
sys.path.insert(0, os.path.join(HERE, '..', 'ipmi'))
sys.path.insert(0, os.path.join(HERE, '..', 'redfish'))

import harness as H  # noqa: E402

PROM_DIR = os.path.join(H.SOURCE, 'etc', 'prometheus')
CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
P13 = '/opendcre/1.3'

# The reading families (m-common.md, issue 13) and the service's own.
READING_FAMILIES = ['opendcre_temperature_celsius', 'opendcre_humidity_percent', 'opendcre_fan_speed_rpm',
                    'opendcre_voltage_volts', 'opendcre_current_amperes', 'opendcre_power_watts',
                    'opendcre_pressure_pascals', 'opendcre_power_on', 'opendcre_led_on',
                    'opendcre_battery_charge_percent', 'opendcre_sensor_health']
BOARD_FAMILIES = ['opendcre_board_up']
SERVICE_FAMILIES = ['opendcre_http_requests_total', 'opendcre_bus_transactions_total',
                    'opendcre_bus_retries_total', 'opendcre_bus_timeouts_total',
                    'opendcre_bus_corrupt_packets_total', 'opendcre_bus_lock_wait_seconds',
                    'opendcre_ipmi_sessions_opened_total', 'opendcre_ipmi_sessions_reopened_total',
                    'opendcre_redfish_logins_total', 'opendcre_scrape_duration_seconds', 'opendcre_build_info']
HEALTH = {'ok': 0, 'warning': 1, 'critical': 2, 'failed': 2}


def which(name):
    p = shutil.which(name) or ('/usr/bin/' + name if os.access('/usr/bin/' + name, os.X_OK) else None)
    return p


def require(*tools):
    """Skip (77) naming the Debian package of a missing tool; fail on missing executables."""
    pkgs = {'prometheus': 'prometheus', 'promtool': 'prometheus', 'ipmi_sim': 'openipmi',
            'openssl': 'openssl'}
    for t in tools:
        if not which(t):
            H.skip('%s is not installed (apt-get install %s); the metrics tests need it' % (t, pkgs.get(t, t)))
    H.require_tools()


# ------------------------------------------------------------------------------------------
# the text format

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')


def _unescape(v):
    return re.sub(r'\\(.)', lambda m: {'n': '\n', '\\': '\\', '"': '"'}.get(m.group(1), '\\' + m.group(1)), v)


def parse(text):
    """[(name, {label: value}, float)] of the samples; raises AssertionError on a bad line."""
    out = []
    for n, ln in enumerate(text.splitlines(), 1):
        if not ln.strip() or ln.startswith('#'):
            continue
        m = _SAMPLE.match(ln)
        assert m, 'line %d is not a sample: %r' % (n, ln)
        labels = {}
        rest = m.group(3) or ''
        pos = 0
        while pos < len(rest):
            lm = _LABEL.match(rest, pos)
            assert lm and lm.end() > pos, 'line %d: bad labels %r' % (n, rest)
            assert lm.group(1) not in labels, 'line %d: label %s twice' % (n, lm.group(1))
            labels[lm.group(1)] = _unescape(lm.group(2))
            pos = lm.end()
        v = m.group(4)
        value = {'+Inf': math.inf, '-Inf': -math.inf, 'NaN': math.nan}.get(v)
        out.append((m.group(1), labels, float(v) if value is None else value))
    return out


def family_of(name):
    for suf in ('_bucket', '_sum', '_count'):
        if name.endswith(suf) and name[:-len(suf)] == 'opendcre_bus_lock_wait_seconds':
            return name[:-len(suf)]
    return name


def promtool_metrics(body):
    """(exit code, output) of `promtool check metrics` on the answer."""
    p = subprocess.run([which('promtool'), 'check', 'metrics'], input=body, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    return p.returncode, p.stdout.decode('utf-8', 'replace')


def same(a, b):
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


def get_metrics(h, path='/opendcre/metrics', via_nginx=True, timeout=30):
    """The answer, checked for status and Content-Type; returns (text, samples)."""
    r = h.get(path, timeout=timeout) if via_nginx else h.fcgi(path, timeout=timeout)
    assert r.status == 200, '%s: status %d %r' % (path, r.status, r.body[:300])
    ct = r.header('Content-Type')
    assert ct == [CONTENT_TYPE], '%s: Content-Type %r, expected %r' % (path, ct, CONTENT_TYPE)
    text = r.body.decode('utf-8')
    return text, parse(text)


# ------------------------------------------------------------------------------------------
# the REST side

def scan13(h):
    """[(rack, board, device, device_type, device_info)] of a live 1.3 scan-all."""
    r = h.fcgi(P13 + '/scan/force', timeout=60)
    body = H.expect_ok(r, None, 'scan/force')
    out = []
    for rack in body['racks']:
        for b in rack['boards']:
            for d in b['devices']:
                out.append((rack['rack_id'], b['board_id'], d['device_id'], d['device_type'], d.get('device_info')))
    return out


def rest_json(h, uri):
    r = h.fcgi(uri, timeout=30)
    assert r.status == 200, '%s: %d %r' % (uri, r.status, r.body[:300])
    return r.json()


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def rest_expected(h, rack, board, dev, dtype, backend):
    """{family: value} the REST API gives for one device (1.3 API); families whose REST value
    is unknown are left out. 'opendcre_sensor_health' may be a (low, high) range for PLC power."""
    e = {}
    loc = '%s/%s/%s' % (rack, board, dev)
    if backend == 'plc':
        if dtype in ('thermistor', 'temperature'):
            e['opendcre_temperature_celsius'] = rest_json(h, '%s/read/%s/%s' % (P13, dtype, loc))['temperature_c']
        elif dtype == 'humidity':
            j = rest_json(h, '%s/read/humidity/%s' % (P13, loc))
            e['opendcre_humidity_percent'] = j['humidity']
            e['opendcre_temperature_celsius'] = j['temperature_c']
        elif dtype == 'pressure':
            e['opendcre_pressure_pascals'] = rest_json(h, '%s/read/pressure/%s' % (P13, loc))['pressure_kpa'] * 1000.0
        elif dtype in ('fan_speed', 'vapor_fan'):
            e['opendcre_fan_speed_rpm'] = rest_json(h, '%s/read/%s/%s' % (P13, dtype, loc))['speed_rpm']
        elif dtype == 'led':
            st = rest_json(h, '%s/read/led/%s' % (P13, loc))['led_state']
            e['opendcre_led_on'] = {'on': 1, 'off': 0}[st]
        elif dtype in ('power', 'vapor_rectifier'):
            j = rest_json(h, '%s/power/%s/%s/status' % (P13, dtype, loc))
            e['opendcre_voltage_volts'] = j['input_voltage']
            e['opendcre_current_amperes'] = j['output_current']
            e['opendcre_power_watts'] = j['input_power']
            e['opendcre_power_on'] = 1 if j['power_status'] == 'on' else 0
            good = j['power_ok'] and not j['over_current'] and not j['under_voltage']
            e['opendcre_sensor_health'] = (0, 0) if good else (1, 2)
        elif dtype == 'vapor_battery':
            j = rest_json(h, '%s/power/vapor_battery/%s/status' % (P13, loc))
            e['opendcre_battery_charge_percent'] = j['battery_charge_percent']
        return e
    # IPMI and Redfish boards
    if dtype in ('temperature', 'fan_speed', 'voltage', 'power_supply'):
        uri = '%s/read/%s/%s' % (P13, dtype, loc)
        r = h.fcgi(uri, timeout=30)
        if r.status == 500 and 'has no reading' in r.json().get('message', ''):
            return e                    # a null reading: unknown, nothing to export
        assert r.status == 200, '%s: %d %r' % (uri, r.status, r.body[:300])
        j = r.json()
        key = {'temperature': ('temperature_c', 'opendcre_temperature_celsius'),
               'fan_speed': ('speed_rpm', 'opendcre_fan_speed_rpm'),
               'voltage': ('voltage', 'opendcre_voltage_volts')}.get(dtype)
        if key and num(j.get(key[0])):
            e[key[1]] = j[key[0]]
        if j.get('health') in HEALTH:
            e['opendcre_sensor_health'] = HEALTH[j['health']]
    elif dtype == 'power':
        j = rest_json(h, '%s/power/%s/status' % (P13, loc))
        e['opendcre_power_on'] = 1 if j['power_status'] == 'on' else 0
        if num(j.get('input_power')):
            e['opendcre_power_watts'] = j['input_power']
    elif dtype == 'led':
        j = rest_json(h, '%s/led/%s' % (P13, loc))
        if j.get('led_state') in ('on', 'off'):
            e['opendcre_led_on'] = 1 if j['led_state'] == 'on' else 0
    return e


def backend_of(board, plc_boards):
    if board in plc_boards:
        return 'plc'
    return {'4': 'ipmi', '7': 'redfish'}.get(board[0], '?')


def compare(h, samples, plc_boards, rack_of_plc=None):
    """Every reading sample against the REST API and every REST reading against the samples.
    Returns a list of problems (empty: equal)."""
    devices = scan13(h)
    problems = []
    by_dev = {}
    for name, lab, val in samples:
        if name in READING_FAMILIES:
            by_dev.setdefault((lab.get('rack'), lab.get('board'), lab.get('device')), []).append((name, lab, val))
    boards_up = {(lab.get('rack'), lab.get('board')): (lab, val) for name, lab, val in samples
                 if name == 'opendcre_board_up'}
    seen = set()
    for rack, board, dev, dtype, info in devices:
        backend = backend_of(board, plc_boards)
        key = (rack, board, dev)
        seen.add(key)
        want = rest_expected(h, rack, board, dev, dtype, backend)
        got = by_dev.get(key, [])
        names = {}
        for name, lab, val in got:
            where = '%s %s/%s/%s (%s)' % (name, rack, board, dev, dtype)
            if name in names:
                problems.append('%s: two samples' % where)
            names[name] = val
            for k, v in (('device_type', dtype), ('backend', backend)):
                if lab.get(k) != v:
                    problems.append('%s: label %s=%r, expected %r' % (where, k, lab.get(k), v))
            # the bridges' power, system and led devices are the service's, not named by the board
            if backend != 'plc' and info and dtype not in ('power', 'system', 'led') and lab.get('name') != info:
                problems.append('%s: label name=%r, expected %r' % (where, lab.get('name'), info))
            if backend == 'plc' and 'name' in lab:
                problems.append('%s: a PLC device has no name, label name=%r' % (where, lab['name']))
            if name not in want:
                problems.append('%s = %r: the REST API has no such reading for this device' % (where, val))
                continue
            w = want[name]
            if isinstance(w, tuple):
                if not w[0] <= val <= w[1]:
                    problems.append('%s = %r, REST gives %r' % (where, val, w))
            elif not same(val, w):
                problems.append('%s = %r, REST gives %r' % (where, val, w))
        for name in want:
            if name not in names and not isinstance(want[name], tuple):
                problems.append('%s %s/%s/%s (%s): missing, REST gives %r' % (name, rack, board, dev, dtype, want[name]))
        bu = boards_up.get((rack, board))
        if bu is None:
            problems.append('opendcre_board_up %s/%s: missing' % (rack, board))
        elif bu[1] != 1 or bu[0].get('backend') != backend:
            problems.append('opendcre_board_up %s/%s: %r (labels %r), expected 1, backend %s'
                            % (rack, board, bu[1], bu[0], backend))
    for key in by_dev:
        if key not in seen:
            problems.append('samples for %s/%s/%s, a device the scan does not list: %r'
                            % (key + ([n for n, _, _ in by_dev[key]],)))
    for name, lab, val in samples:
        if name in READING_FAMILIES + BOARD_FAMILIES:
            if not re.fullmatch(r'[0-9a-f]{8}', lab.get('board', '')):
                problems.append('%s %r: board label is not 8 hex digits' % (name, lab))
            if name in READING_FAMILIES and not re.fullmatch(r'[0-9a-f]{4}', lab.get('device', '')):
                problems.append('%s %r: device label is not 4 hex digits' % (name, lab))
            if math.isnan(val):
                problems.append('%s %r: NaN (an unknown reading must be left out)' % (name, lab))
    return problems


def steady_data(src, dst, hot=None):
    """The emulator data file src with every response list cut to its first answer (the same
    devices, a reading that does not change between the scrape and the REST read). hot:
    {(board_id, device_id): response} replaces a device's read answer."""
    with open(src) as f:
        d = json.load(f)
    for b in d['boards']:
        for dev in b['devices']:
            for sec in ('read', 'power'):
                v = dev.get(sec)
                if isinstance(v, dict) and v.get('responses'):
                    v['responses'] = v['responses'][:1]
                    v['repeatable'] = True
                elif isinstance(v, list) and dev.get('has_state'):     # a stateful power list cycles
                    dev[sec] = v[:1]
            if hot and (b['board_id'], dev['device_id']) in hot:
                dev['read'] = {'repeatable': True, 'responses': [hot[(b['board_id'], dev['device_id'])]]}
    with open(dst, 'w') as f:
        json.dump(d, f, indent=1)
    return d


# ------------------------------------------------------------------------------------------
# a real Prometheus with the shipped configuration

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Prometheus:
    """/usr/bin/prometheus with etc/prometheus/opendcre-fleet.yml and opendcre-alerts.yml copied
    into `root`; only the intervals, the temperature threshold and the `for` durations are
    rewritten, and the target file is written."""

    def __init__(self, root, racks, interval=3, temp_threshold=None):
        self.root = root
        self.racks = racks          # [(rack label, host:port)]
        self.interval = interval
        self.temp_threshold = temp_threshold
        self.proc = None
        self.port = None

    def write_config(self):
        os.makedirs(os.path.join(self.root, 'opendcre-racks'), exist_ok=True)
        with open(os.path.join(PROM_DIR, 'opendcre-fleet.yml')) as f:
            cfg = f.read()
        iv = '%ds' % self.interval
        cfg, n1 = re.subn(r'(?m)^(  (?:scrape_interval|evaluation_interval|scrape_timeout)): \S+', r'\1: ' + iv, cfg)
        cfg, n2 = re.subn(r'(?m)^(        refresh_interval): \S+', r'\1: 1s', cfg)
        assert n1 == 3 and n2 == 1, 'the shipped opendcre-fleet.yml changed shape (%d, %d)' % (n1, n2)
        with open(os.path.join(self.root, 'opendcre-fleet.yml'), 'w') as f:
            f.write(cfg)
        with open(os.path.join(PROM_DIR, 'opendcre-alerts.yml')) as f:
            rules = f.read()
        rules, n3 = re.subn(r'(?m)^(\s+for:) \S+', r'\1 0s', rules)
        if self.temp_threshold is not None:
            rules, n4 = re.subn(r'(expr: opendcre_temperature_celsius >) [0-9.]+', r'\1 %g' % self.temp_threshold, rules)
            assert n4 == 1, 'no temperature rule in opendcre-alerts.yml'
        assert n3 >= 4, 'the shipped opendcre-alerts.yml changed shape'
        with open(os.path.join(self.root, 'opendcre-alerts.yml'), 'w') as f:
            f.write(rules)
        with open(os.path.join(self.root, 'opendcre-racks', 'racks.yml'), 'w') as f:
            for rack, addr in self.racks:
                f.write("- targets: ['%s']\n  labels:\n    rack: %s\n" % (addr, rack))
        return os.path.join(self.root, 'opendcre-fleet.yml')

    def check_config(self):
        p = subprocess.run([which('promtool'), 'check', 'config', os.path.join(self.root, 'opendcre-fleet.yml')],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return p.returncode, p.stdout.decode('utf-8', 'replace')

    def start(self, timeout=30):
        conf = self.write_config()
        self.log_path = os.path.join(self.root, 'prometheus.log')
        for _ in range(5):
            self.port = free_port()
            with open(self.log_path, 'ab') as logf:
                self.proc = subprocess.Popen(
                    [which('prometheus'), '--config.file=' + conf,
                     '--storage.tsdb.path=' + os.path.join(self.root, 'data'),
                     '--web.listen-address=127.0.0.1:%d' % self.port, '--log.level=info'],
                    stdout=logf, stderr=logf, stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.root)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    with urllib.request.urlopen('http://127.0.0.1:%d/-/ready' % self.port, timeout=2) as r:
                        if r.status == 200:
                            return self
                except OSError:
                    pass
                time.sleep(0.2)
            if self.proc.poll() is None:
                self.stop()
                raise RuntimeError('prometheus not ready within %d s:\n%s' % (timeout, H._tail(self.log_path)))
            if 'address already in use' not in H._tail(self.log_path, 5):
                raise RuntimeError('prometheus exited with %s:\n%s' % (self.proc.returncode, H._tail(self.log_path)))
        raise RuntimeError('prometheus could not bind a port')

    def api(self, path, **params):
        url = 'http://127.0.0.1:%d/api/v1/%s?%s' % (self.port, path, urllib.parse.urlencode(params))
        with urllib.request.urlopen(url, timeout=20) as r:
            body = json.loads(r.read().decode())
        assert body.get('status') == 'success', '%s: %r' % (url, body)
        return body['data']

    def query(self, q, at=None):
        """[(labels, value)] of an instant vector query."""
        params = {'query': q}
        if at is not None:
            params['time'] = '%.3f' % at
        d = self.api('query', **params)
        assert d['resultType'] == 'vector', d
        return [(r['metric'], float(r['value'][1])) for r in d['result']]

    def samples(self, selector, seconds):
        """{labels frozen: [(ts, value)]} of the raw samples of the last `seconds`."""
        d = self.api('query', query='%s[%ds]' % (selector, seconds))
        assert d['resultType'] == 'matrix', d
        return [(r['metric'], [(float(t), float(v)) for t, v in r['values']]) for r in d['result']]

    def wait(self, what, fn, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                last = fn()
                if last:
                    return last
            except (AssertionError, OSError, KeyError) as e:
                last = e
            if time.monotonic() > deadline:
                raise AssertionError('%s: not within %.0f s (last %r)' % (what, timeout, last))
            time.sleep(0.5)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
