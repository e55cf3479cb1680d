#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What a newcomer meets first (issue 10):

* answers are pretty-printed JSON as OpenDCRE's Flask service wrote them: keys sorted,
  2-space indentation, a final newline, in both API versions (success and error bodies);
* silence from a device whose cached type does not serve the route is explained in the 500
  message ("device 0003 of board 00000001 is a power device; use /power/..."), status unchanged;
* plc.rack_id names the PLC boards' rack: /scan reports it, /scan/<rack> answers it, a bad
  value refuses to start naming the key;
* etc/run-demo.sh: full --help, an option without a value is a usage error, a port in use is
  refused before anything runs, Ctrl-C (SIGINT to its process group) stops everything and exits
  0 with one "stopped" line, a child that dies on its own is reported and exits 1.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time

import harness as H

P12 = '/opendcre/1.2'
P13 = '/opendcre/1.3'
R = H.Runner('test_first_contact')
DEMO = os.path.join(H.SOURCE, 'emulator', 'data', 'demo.json')
RUN_DEMO = os.path.join(H.SOURCE, 'etc', 'run-demo.sh')


def pretty(body):
    text = body.decode('utf-8')
    want = json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + '\n'
    assert text == want, 'not the Flask layout:\n%s\nwant:\n%s' % (text, want)


def check_pretty(h):
    for target in (P13 + '/test', P12 + '/test', P13 + '/scan', P12 + '/scan',
                   P13 + '/read/thermistor/vapor_plc_rack/00000001/01ff',
                   P12 + '/power/00000001/0003', P13 + '/nothing', P12 + '/nothing',
                   P13 + '/read/thermistor/vapor_plc_rack/00000001/zz'):
        r = h.get(target)
        pretty(r.body)
    r = h.get(P13 + '/test')
    assert r.body == b'{\n  "status": "ok"\n}\n', r.body


def hint(h, target, want):
    r = h.get(target)
    assert r.status == 500, '%s: status %d' % (target, r.status)
    msg = r.json()['message']
    assert msg.startswith(want), '%s: message %r, want it to start with %r' % (target, msg, want)
    assert 'no response' in msg, msg


def check_hints(h):
    # before any scan the service knows no types: only the bus's own message
    if os.path.exists(h.cachefile):
        os.unlink(h.cachefile)
    r = h.get(P12 + '/read/power/00000001/0003')
    assert r.status == 500 and r.json()['message'].startswith('PLC bus: no response'), r
    assert h.get(P13 + '/scan').status == 200
    hint(h, P12 + '/read/power/00000001/0003',
         'device 0003 of board 00000001 is a power device; use /power/')
    hint(h, P13 + '/read/humidity/vapor_plc_rack/00000001/01ff',
         'device 01ff of board 00000001 is a thermistor device; use /read/thermistor/')
    hint(h, P13 + '/power/vapor_plc_rack/00000001/01ff',
         'device 01ff of board 00000001 is a thermistor device')
    # a right route still answers
    assert h.get(P12 + '/power/00000001/0003').status == 200


def check_rack_id():
    with H.Harness(DEMO, workers=2, plc={'rack_id': 'row7-rack3'}, name='rack') as h:
        r = h.get(P13 + '/scan')
        assert r.status == 200 and [x['rack_id'] for x in r.json()['racks']] == ['row7-rack3'], r
        r = h.get(P13 + '/scan/row7-rack3')
        assert r.status == 200 and r.json()['racks'][0]['rack_id'] == 'row7-rack3', r
        r = h.get(P13 + '/scan/vapor_plc_rack')
        assert r.status == 500 and 'No rack found' in r.json()['message'], r
        r = h.get(P13 + '/read/thermistor/row7-rack3/00000001/01ff')
        assert r.status == 200, r
        probs = h.stop()
        assert not probs, probs


def check_bad_rack_id():
    d = H.tempfile.mkdtemp(prefix='opendcre-rack-')
    path = os.path.join(d, 'bad.json')
    with open(path, 'w') as f:
        json.dump({'plc': {'device': '/dev/null', 'rack_id': 'a/b'}}, f)
    p = subprocess.run([H.FCGI_EXE, '--config', path, '--check-config'], capture_output=True,
                       text=True, timeout=10)
    H.shutil.rmtree(d, ignore_errors=True)
    assert p.returncode != 0, 'accepted rack_id "a/b"'
    assert path in p.stderr and 'plc.rack_id' in p.stderr, p.stderr


def check_scan_only_board():
    """A board of OpenDCRE's own data files: raw_data for scans, no "devices" key."""
    d = H.tempfile.mkdtemp(prefix='opendcre-scanonly-')
    data = H.load_data('concurrency.json')
    data['boards'].append({'board_id': '00000077', 'firmware_version': 'scan only',
                           'raw_data': [[[1, 10, 999, 156, 0, 0, 0, 0x77, 0, 1, 156, 1002, 4]]]})
    path = os.path.join(d, 'scan-only.json')
    with open(path, 'w') as f:
        json.dump(data, f)
    try:
        with H.Harness(path, workers=2, name='scanonly') as h:
            r = h.get(P13 + '/scan/force')
            assert r.status == 200, r
            boards = {b['board_id']: b for b in r.json()['racks'][0]['boards']}
            assert boards.get('00000077', {}).get('devices') == \
                [{'device_id': '0001', 'device_type': 'thermistor'}], boards.get('00000077')
            r = h.get(P12 + '/version/00000077')
            assert r.status == 200 and r.json()['firmware_version'] == 'scan only', r
            r = h.get(P12 + '/read/thermistor/00000077/0001')
            assert r.status == 500 and 'no response' in r.json()['message'], r
            probs = h.stop()
            assert not probs, probs
    finally:
        H.shutil.rmtree(d, ignore_errors=True)


def demo(*args, **kw):
    return subprocess.run([RUN_DEMO] + list(args), capture_output=True, text=True,
                          timeout=kw.get('timeout', 60), stdin=subprocess.DEVNULL)


def check_demo_usage():
    p = demo('--help')
    assert p.returncode == 0, p
    for want in ('Usage:', '--port N', '--workers N', '--data FILE', '--build-dir DIR',
                 '--no-install', 'Options:'):
        assert want in p.stdout, '%r missing from --help:\n%s' % (want, p.stdout)
    for opt in ('--port', '--workers', '--data', '--build-dir'):
        p = demo(opt)
        assert p.returncode == 2, (opt, p)
        assert 'option %s needs a value' % opt in p.stderr, p.stderr
        assert 'unbound variable' not in p.stderr, p.stderr
    p = demo('--frobnicate')
    assert p.returncode == 2 and "unknown argument '--frobnicate'" in p.stderr, p


def check_demo_port_in_use():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen(1)
        port = s.getsockname()[1]
        p = demo('--no-install', '--build-dir', H.BUILD, '--port', str(port))
    assert p.returncode == 1, p
    assert 'port %d is in use by another program; use --port N' % port in p.stderr, p.stderr
    assert 'running' not in p.stdout and 'Try:' not in p.stdout, p.stdout


def start_demo(port):
    proc = subprocess.Popen([RUN_DEMO, '--no-install', '--build-dir', H.BUILD, '--port', str(port),
                             '--data', DEMO, '--workers', '2'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    out = ''
    deadline = time.monotonic() + 60
    while 'Ctrl-C stops everything' not in out:
        line = proc.stdout.readline()
        if not line:
            proc.wait(10)
            raise AssertionError('run-demo exited %s before it was ready: %s'
                                 % (proc.returncode, proc.stderr.read()))
        out += line
        assert time.monotonic() < deadline, 'run-demo not ready within 60 s'
    run = re.search(r'run dir:\s+(\S+)', out).group(1)
    return proc, out, run


def left_running(run):
    left = []
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            try:
                with open('/proc/%s/cmdline' % pid, 'rb') as f:
                    if run.encode() in f.read():
                        left.append(pid)
            except OSError:
                pass
    return left


def check_demo_ctrl_c():
    port = H._free_port()
    proc, out, run = start_demo(port)
    try:
        assert 'vapor_plc_rack' in out and 'rack_1' not in out, out
        r = H.http_raw(port, H.build_request('GET', P13 + '/read/thermistor/vapor_plc_rack/00000001/01ff'))
        assert r.status == 200, r
        os.killpg(proc.pid, signal.SIGINT)    # what a terminal's Ctrl-C does
        err = proc.communicate(timeout=30)[1]
        rc = proc.returncode
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert rc == 0, 'exit status %d after Ctrl-C; stderr:\n%s' % (rc, err)
    lines = [x for x in err.splitlines() if 'stopped' in x]
    assert len(lines) == 1 and 'unexpectedly' not in err, err
    assert not os.path.exists(run), 'run directory left behind'
    assert not left_running(run), 'processes left: %s' % left_running(run)


def check_demo_child_dies():
    port = H._free_port()
    proc, out, run = start_demo(port)
    try:
        emu = [p for p in left_running(run)
               if b'opendcre-emulator' in open('/proc/%s/cmdline' % p, 'rb').read()]
        assert len(emu) == 1, emu
        os.kill(int(emu[0]), signal.SIGKILL)
        err = proc.communicate(timeout=30)[1]
        rc = proc.returncode
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert rc == 1, 'exit status %d after the emulator died; stderr:\n%s' % (rc, err)
    assert 'opendcre-emulator exited unexpectedly' in err, err
    assert not os.path.exists(run) and not left_running(run)


def main():
    H.require_tools()
    h = H.Harness(DEMO, workers=2, name='first')
    h.start()
    try:
        R.check('answers: sorted keys, 2-space indentation, final newline (1.2 and 1.3)',
                check_pretty, h)
        R.check('silence explained by the cached device type, status 500 kept', check_hints, h)
    finally:
        R.harness_problems(h)
    R.check('plc.rack_id names the PLC rack in /scan and /scan/<rack>', check_rack_id)
    R.check('a bad plc.rack_id refuses to start naming file and key', check_bad_rack_id)
    R.check('a board without "devices" (scan answers only) loads and scans', check_scan_only_board)
    R.check('run-demo: --help is complete; an option without a value is a usage error',
            check_demo_usage)
    R.check('run-demo: a port in use is refused before anything runs', check_demo_port_in_use)
    R.check('run-demo: Ctrl-C stops everything and exits 0 with one line', check_demo_ctrl_c)
    R.check('run-demo: a child that dies on its own is reported, exit 1', check_demo_child_dies)
    R.finish()


if __name__ == '__main__':
    main()
