#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The systemd deployment as far as it can be tested without systemd as PID 1:

* `systemd-analyze verify` accepts etc/systemd/opendcre.socket and opendcre.service (the
  @BINDIR@ of the unit pointing at the build), and the offline security review rates the
  service's hardening "OK" (exposure at most 2.5);
* etc/sysusers.d/opendcre.conf and etc/tmpfiles.d/opendcre.conf applied by systemd-sysusers
  and systemd-tmpfiles to a scratch root create the opendcre user, the gpio group and the
  directories with the right owner and mode;
* the service started the way opendcre.socket starts it: systemd-socket-activate binds the
  socket, runs the unit's ExecStart= on the first connection with the socket as fd 3
  (LISTEN_FDS=1, LISTEN_PID) and JOURNAL_STREAM set as journald does; the log lines carry
  the journal priority prefix (<6> for the start-up summary and the audit line with the
  REMOTE_USER the web server passed); SIGTERM to the main process (KillMode=mixed) stops it
  with status 0 after its workers.

Not tested here: the units under a real systemd (socket activation by PID 1, the sandboxing
itself, User=, journald)."""

import os
import re
import shlex
import shutil
import subprocess
import tempfile

import webtest as W
from webtest import H, P13

R = H.Runner('web-systemd')
T = W.need('systemd-analyze', 'systemd-socket-activate', 'systemd-sysusers', 'systemd-tmpfiles')


def units(d, values):
    os.makedirs(d, exist_ok=True)
    sock = W.configure('systemd/opendcre.socket.in', os.path.join(d, 'opendcre.socket'), values)
    svc = W.configure('systemd/opendcre.service.in', os.path.join(d, 'opendcre.service'), values)
    return sock, svc


def unit_value(path, key):
    with open(path) as f:
        vals = [ln.split('=', 1)[1].strip() for ln in f if ln.startswith(key + '=')]
    return vals


def check_verify(d):
    sock, svc = units(d, {'BINDIR': os.path.dirname(H.FCGI_EXE), 'DOCDIR': W.SOURCE,
                          'OPENDCRE_CONFIG': '/etc/opendcre/opendcre.json'})
    p = subprocess.run([T['systemd-analyze'], 'verify', '--man=no', sock, svc], capture_output=True,
                       text=True, timeout=60, cwd=d)
    out = (p.stdout + p.stderr).strip()
    assert p.returncode == 0 and not out, 'systemd-analyze verify: rc %d\n%s' % (p.returncode, out)
    assert unit_value(sock, 'ListenStream') == ['/run/opendcre/opendcre.sock']
    assert unit_value(sock, 'SocketGroup') == ['www-data'] and unit_value(sock, 'SocketMode') == ['0660']
    assert unit_value(svc, 'User') == ['opendcre']
    assert unit_value(svc, 'SupplementaryGroups') == ['dialout gpio']


def check_security(d):
    svc = os.path.join(d, 'opendcre.service')
    p = subprocess.run([T['systemd-analyze'], 'security', '--offline=true', '--threshold=25', svc],
                       capture_output=True, text=True, timeout=60, cwd=d)
    m = re.search(r'Overall exposure level for opendcre\.service: ([0-9.]+) (\w+)', p.stdout)
    assert m, 'no exposure level: rc %d\n%s%s' % (p.returncode, p.stdout[-2000:], p.stderr)
    H.log('systemd-analyze security --offline: exposure %s %s' % (m.group(1), m.group(2)))
    assert p.returncode == 0 and float(m.group(1)) <= 2.5, 'exposure %s %s' % (m.group(1), m.group(2))


def check_sysusers_tmpfiles(root):
    os.makedirs(os.path.join(root, 'etc'))
    W.run([T['systemd-sysusers'], '--root=' + root, os.path.join(W.ETC, 'sysusers.d', 'opendcre.conf')])
    with open(os.path.join(root, 'etc', 'passwd')) as f:
        users = {ln.split(':')[0]: ln.strip().split(':') for ln in f}
    with open(os.path.join(root, 'etc', 'group')) as f:
        groups = {ln.split(':')[0]: ln.strip().split(':') for ln in f}
    assert 'opendcre' in users and users['opendcre'][6] == '/usr/sbin/nologin', users
    assert int(users['opendcre'][2]) < 1000, 'not a system user: %r' % users['opendcre']
    assert 'gpio' in groups and 'opendcre' in groups, groups
    for g in ('dialout', 'gpio'):
        assert g in groups and 'opendcre' in groups[g][3].split(','), 'opendcre not in %s: %r' % (g, groups.get(g))
    uid = int(users['opendcre'][2])
    W.run([T['systemd-tmpfiles'], '--create', '--root=' + root,
           os.path.join(W.ETC, 'tmpfiles.d', 'opendcre.conf')])
    for path, mode in (('run/opendcre', 0o755), ('var/lib/opendcre', 0o750),
                       ('var/cache/opendcre/sdr', 0o750)):
        st = os.stat(os.path.join(root, path))
        assert st.st_uid == uid and st.st_mode & 0o7777 == mode, '/%s: uid %d mode %o' % (
            path, st.st_uid, st.st_mode & 0o7777)


def socket_activation():
    h = H.Harness(W.DEMO, workers=4, start_nginx=False, name='web-systemd')
    h.run = tempfile.mkdtemp(prefix='opendcre-web-systemd-')
    try:
        h.start_emulator()
        h.write_config()
        _, svc = units(os.path.join(h.run, 'units'), W.base_values(h))
        argv = shlex.split(unit_value(svc, 'ExecStart')[0])
        assert argv == [H.FCGI_EXE, '--config', h.config_path, '--workers', '4'], argv
        with open(h.svc_log, 'ab') as logf:
            # binds the socket, waits for the first connection, then execs the service under
            # its own pid with the socket on fd 3, LISTEN_FDS=1 and LISTEN_PID set
            h.svc = subprocess.Popen([T['systemd-socket-activate'], '-l', h.sock,
                                      '-E', 'JOURNAL_STREAM=8:12345', '--'] + argv,
                                     stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        W.wait_for(lambda: os.path.exists(h.sock), 10, 'systemd-socket-activate', h.svc, h.svc_log)

        def first_request():
            r = H.fcgi_request(h.sock, P13 + '/test', timeout=20)
            H.expect_ok(r, {'status': 'ok'}, 'first request (starts the service)')
            h.worker_baseline = h.wait_workers(4)
            with open('/proc/%d/cmdline' % h.svc.pid, 'rb') as f:
                got = [a.decode() for a in f.read().rstrip(b'\0').split(b'\0')]
            assert got == argv, 'the socket activator exec\'d %r' % got

        def journal_audit():
            r = H.fcgi_request(h.sock, P13 + '/boot_target/rack_1/00000001/0004/pxe',
                               extra={'REMOTE_USER': 'carol'})
            H.expect_ok(r, None, 'boot target set')
            line = W.wait_audit(h.svc_log, r'user=carol method=GET route=/opendcre/1\.3/boot_target/'
                                r'rack_1/00000001/0004/pxe board=00000001 device=0004 outcome=200$')
            assert line.startswith('<6>'), 'no journal priority prefix: %r' % line
            with open(h.svc_log) as f:
                text = f.read()
            assert re.search(r'^<6>.*opendcre-fcgi started: 4 workers', text, re.M), text[-2000:]
            # control characters and spaces in REMOTE_USER cannot forge a second line
            r = H.fcgi_request(h.sock, P13 + '/scan/force', extra={'REMOTE_USER': 'eve\nx y'})
            H.expect_ok(r, None, 'scan/force')
            W.wait_audit(h.svc_log, r'^<6>.*audit: user=eve\\x0ax\\x20y method=GET '
                         r'route=/opendcre/1\.3/scan/force board=- device=- outcome=200$')

        R.check('socket activation: ExecStart= of the unit runs on the first connection', first_request)
        R.check('journald priority prefixes; audit line with REMOTE_USER, control bytes escaped',
                journal_audit)
    except Exception as e:  # noqa: BLE001
        R.fail('socket activation set-up', e)
    finally:
        # stop() sends SIGTERM to the main process only (KillMode=mixed) and checks for exit
        # status 0, no worker left behind and no crash lines
        R.harness_problems(h, 'SIGTERM to the main process: status 0, workers gone, no crashes')


def main():
    d = tempfile.mkdtemp(prefix='opendcre-web-units-')
    ok = R.check('systemd-analyze verify: opendcre.socket and opendcre.service', check_verify, d)
    if ok:
        R.check('systemd-analyze security --offline: exposure of opendcre.service at most 2.5',
                check_security, d)
    if W.is_root():
        R.check('sysusers.d and tmpfiles.d: user, groups, directories (scratch root)',
                check_sysusers_tmpfiles, os.path.join(d, 'root'))
    else:
        H.log('not root: sysusers.d/tmpfiles.d not applied (systemd-tmpfiles cannot chown)')
    socket_activation()
    if not R.failed and not H.KEEP:
        shutil.rmtree(d, ignore_errors=True)
    R.finish()


if __name__ == '__main__':
    main()
