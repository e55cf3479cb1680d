#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""lighttpd with the shipped snippets, in front of real workers and the emulator:

1. etc/lighttpd/15-opendcre.conf ("socket"): the service started by spawn-fcgi exactly as
   the README shows it (socket mode 0660, `-n`, the service's own --workers); /test, reads,
   a JSON 404, the audit line; SIGTERM stops the service and its workers.
2. etc/lighttpd/15-opendcre-spawn.conf ("bin-path"): lighttpd starts opendcre-fcgi itself
   (listening socket on fd 0), which forks its workers; requests work; stopping lighttpd
   stops the service and every worker."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import webtest as W
from webtest import H, P12, P13

R = H.Runner('web-lighttpd')
T = W.need('lighttpd', 'spawn-fcgi')


def lighttpd_conf(h, snippet, port, run, sock):
    values = W.base_values(h)
    values.update({'OPENDCRE_CONFDIR': run, 'OPENDCRE_SOCKET': sock or h.sock})
    W.configure('lighttpd/' + snippet, os.path.join(run, 'lighttpd', snippet), values)
    # the error bodies the snippet names (server.errorfile-prefix), installed next to it
    shutil.copytree(os.path.join(H.SOURCE, 'etc', 'lighttpd', 'errors'),
                    os.path.join(run, 'lighttpd', 'errors'), dirs_exist_ok=True)
    docroot = os.path.join(run, 'www')
    os.makedirs(docroot, exist_ok=True)
    log = os.path.join(run, 'lighttpd-error.log')
    conf = os.path.join(run, 'lighttpd.conf')
    with open(conf, 'w') as f:
        f.write('server.document-root = "%s"\n' % docroot
                + 'server.bind = "127.0.0.1"\nserver.port = %d\n' % port
                + 'server.errorlog = "%s"\n' % log
                + 'server.max-worker = 0\n'
                + 'include "%s"\n' % os.path.join(run, 'lighttpd', snippet))
    return conf, log


def start_lighttpd(h, snippet, run=None, sock=None):
    """lighttpd with the shipped snippet in `run` (default: the harness run directory) in
    front of `sock` (default: the service's socket)."""
    def start():
        port = W.free_port()
        conf, log = lighttpd_conf(h, snippet, port, run or h.run, sock)
        W.run([T['lighttpd'], '-tt', '-f', conf])
        srv = W.Server('lighttpd', [T['lighttpd'], '-D', '-f', conf], log, ports=(port,))
        return srv, port
    return W.retry_bind(start)


def stop_lighttpd(srv, port):
    """SIGTERM once lighttpd has closed its client connections; returns the exit code.
    lighttpd exits 1, not 0, when a connection is still open at shutdown, and on a busy
    machine it may not yet have seen the client hang up after the last answer."""
    deadline = time.monotonic() + 5
    while W.tcp_inodes(port, ('01', '08')) and time.monotonic() < deadline:
        time.sleep(0.02)
    return srv.stop(signal.SIGTERM)


def common_checks(port, what):
    H.expect_ok(H.http_raw(port, H.build_request('GET', P13 + '/test')), {'status': 'ok'}, what + ' /test')
    r = H.http_raw(port, H.build_request('GET', P13 + '/read/thermistor/rack_1/00000001/01ff'))
    W.check_thermistor(H.expect_ok(r, None, what + ' read'), what + ' read')
    r = H.http_raw(port, H.build_request('GET', P12 + '/read/thermistor/00000001/01ff'))
    W.check_thermistor(H.expect_ok(r, None, what + ' 1.2 read'), what + ' 1.2 read')
    r = H.http_raw(port, H.build_request('GET', P13 + '/nosuchroute'))
    H.expect_error(r, 404, '1.3', message=H.API13_404['message'], what=what + ' 404')


def socket_variant():
    """spawn-fcgi starts the service; lighttpd talks to its socket."""
    h = H.Harness(W.DEMO, workers=2, start_nginx=False, name='web-lighttpd')
    h.run = tempfile.mkdtemp(prefix='opendcre-web-lighttpd-')
    srv = None
    try:
        h.start_emulator()
        h.write_config()
        # README: spawn-fcgi -s /run/opendcre/opendcre.sock -M 0660 -u opendcre -G www-data -n \
        #           -- /usr/bin/opendcre-fcgi --config /etc/opendcre/opendcre.json --workers 4
        cmd = [T['spawn-fcgi'], '-s', h.sock, '-M', '0660']
        if W.is_root():
            cmd += ['-G', 'www-data']
        cmd += ['-n', '--', H.FCGI_EXE, '--config', h.config_path, '--workers', '2']
        with open(h.svc_log, 'ab') as logf:
            # -n: spawn-fcgi binds the socket and execs the service, which keeps the pid
            h.svc = subprocess.Popen(cmd, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        W.wait_for(lambda: W.fcgi_answers(h.sock), 15, 'spawn-fcgi', h.svc, h.svc_log)
        h.worker_baseline = h.wait_workers(2)
        mode = os.stat(h.sock).st_mode & 0o777
        srv, port = start_lighttpd(h, '15-opendcre.conf')

        def spawned():
            assert mode == 0o660, 'socket mode %o' % mode
            with open('/proc/%d/cmdline' % h.svc.pid, 'rb') as f:
                argv0 = f.read().split(b'\0')[0].decode()
            assert os.path.basename(argv0) == 'opendcre-fcgi', argv0

        def audit():
            r = H.http_raw(port, H.build_request('GET', P13 + '/fan/rack_1/00000001/0001/4200'))
            H.expect_ok(r, None, 'fan set')
            W.wait_audit(h.svc_log, r'user=- method=GET route=/opendcre/1\.3/fan/rack_1/00000001/0001/'
                         r'4200 board=00000001 device=0001 outcome=200$')

        def passed_params():
            cap_run = os.path.join(h.run, 'capture')
            os.makedirs(cap_run)
            cap = W.FcgiCapture(os.path.join(cap_run, 'capture.sock'))
            csrv = None
            try:
                csrv, cport = start_lighttpd(h, '15-opendcre.conf', cap_run, cap.path)
                target = P13 + '/read/thermistor/rack%201//00000001/%30%31ff?x=1'
                r = H.http_raw(cport, H.build_request('GET', target))
                assert r.status == 200 and r.json() == {'captured': True}, r
                p = cap.requests[-1]
                assert p.get('REQUEST_URI') == target, 'REQUEST_URI %r' % p.get('REQUEST_URI')
                assert p.get('REQUEST_METHOD') == 'GET', p
            finally:
                if csrv is not None:
                    csrv.stop(signal.SIGTERM)
                cap.close()

        def server_errors_json():
            # errors lighttpd answers itself are JSON too (issue 11 item 9): the service not
            # running (503), a second lighttpd from the same files in front of no socket
            down_run = os.path.join(h.run, 'down')
            os.makedirs(down_run)
            dsrv = None
            try:
                dsrv, dport = start_lighttpd(h, '15-opendcre.conf', down_run,
                                             os.path.join(down_run, 'no-service.sock'))
                r = H.http_raw(dport, H.build_request('GET', P13 + '/test'))
                H.expect_error(r, 503, '1.3', prefix='The server is temporarily unable',
                               what='service down')
                assert r.header('Cache-Control') == ['no-store'], r.headers
                r = H.http_raw(dport, H.build_request('GET', P12 + '/scan'))
                H.expect_error(r, 503, '1.2', message='503: Service Unavailable',
                               what='1.2 service down')
            finally:
                if dsrv is not None:
                    stop_lighttpd(dsrv, dport)

        R.check('spawn-fcgi (README command) runs the service with its own workers', spawned)
        R.check('lighttpd\'s own 503 (service down) is the JSON body of the version',
                server_errors_json)
        R.check('lighttpd "socket" snippet passes the raw REQUEST_URI', passed_params)
        R.check('lighttpd "socket" snippet: /test, reads and a JSON 404', common_checks, port, 'lighttpd')
        R.check('lighttpd "socket" snippet: audit line of a fan set', audit)
    except Exception as e:  # noqa: BLE001
        R.fail('lighttpd (socket) set-up', e)
    finally:
        problems = []
        if srv is not None:
            rc = stop_lighttpd(srv, port)
            if rc != 0:
                problems.append('lighttpd exited with %s after SIGTERM; log:\n%s\nstderr:\n%s'
                                % (rc, H._tail(srv.log, 10), H._tail(srv.log + '.stderr', 10)))
            problems += srv.crashes()
        problems += h.stop()    # SIGTERM to the service (spawn-fcgi -n exec'd it): rc 0, workers gone
        R.harness_problems(problems, 'socket variant: no crashes, clean shutdown of lighttpd and spawn-fcgi')


def descendants(pid):
    out = []
    for c in H._children(pid):
        out.append(c)
        out += descendants(c)
    return out


def exe_of(pid):
    try:
        return os.readlink('/proc/%d/exe' % pid)
    except OSError:
        return ''


def bin_path_variant():
    """lighttpd spawns opendcre-fcgi (bin-path) and stops it."""
    h = H.Harness(W.DEMO, workers=4, start_nginx=False, name='web-lighttpd-spawn')
    h.run = tempfile.mkdtemp(prefix='opendcre-web-lighttpd-spawn-')
    srv = None
    problems = []
    try:
        h.start_emulator()
        h.write_config()
        srv, port = start_lighttpd(h, '15-opendcre-spawn.conf')
        fcgi = os.path.realpath(H.FCGI_EXE)

        def service_procs():
            return [p for p in descendants(srv.pid) if exe_of(p) == fcgi]

        state = {}

        def spawned():
            # one opendcre-fcgi child of lighttpd (max-procs 1) with its 4 workers (--workers 4)
            deadline = time.monotonic() + 15
            while True:
                mains = [p for p in H._children(srv.pid) if exe_of(p) == fcgi]
                workers = [w for m in mains for w in H._children(m)]
                if len(mains) == 1 and len(workers) == 4:
                    break
                assert time.monotonic() < deadline, 'service processes under lighttpd: %r %r' % (mains, workers)
                time.sleep(0.05)
            state['pids'] = mains + workers
            with open('/proc/%d/cmdline' % mains[0], 'rb') as f:
                argv = f.read().rstrip(b'\0').split(b'\0')
            assert argv[1:] == [b'--config', h.config_path.encode(), b'--workers', b'4'], argv

        def stop_stops():
            rc = stop_lighttpd(srv, port)
            assert rc == 0, 'lighttpd exited with %s' % rc
            deadline = time.monotonic() + 10
            while any(H._alive(p) for p in state.get('pids', [])):
                assert time.monotonic() < deadline, 'still running after lighttpd stopped: %r' % [
                    p for p in state['pids'] if H._alive(p)]
                time.sleep(0.02)
            assert state.get('pids'), 'no service processes were seen'

        R.check('lighttpd "bin-path" snippet starts opendcre-fcgi and its workers', spawned)
        R.check('lighttpd "bin-path" snippet: /test, reads and a JSON 404', common_checks, port,
                'lighttpd bin-path')
        R.check('stopping lighttpd stops the service and every worker', stop_stops)
    except Exception as e:  # noqa: BLE001
        R.fail('lighttpd (bin-path) set-up', e)
    finally:
        if srv is not None and srv.alive():
            srv.stop(signal.SIGKILL)
            problems.append('lighttpd had to be killed')
        if srv is not None:
            problems += srv.crashes()
            with open(srv.log + '.stderr', 'rb') as f:
                text = f.read().decode('utf-8', 'replace')
            for want in ('opendcre-fcgi started: 4 workers', 'opendcre-fcgi stopped'):
                if want not in text:
                    problems.append('no "%s" in lighttpd\'s stderr (the service\'s log)' % want)
        problems += h.stop()
        R.harness_problems(problems, 'bin-path variant: no crashes; the service logged its start and '
                                     'stop to lighttpd\'s stderr')


def main():
    socket_variant()
    bin_path_variant()
    R.finish()


if __name__ == '__main__':
    main()
