#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""nginx with the shipped example site etc/nginx/opendcre-site.conf and the location snippet
etc/nginx/opendcre.conf, in front of real workers and the emulator: plain HTTP, HTTPS with a
certificate made at test time (curl --cacert), HTTP Basic authentication, plain HTTP to the
TLS port refused, and the audit line with the authenticated user."""

import os
import shutil
import signal

import roles
import webtest as W
from webtest import H, P12, P13

R = H.Runner('web-nginx')
T = W.need('nginx', 'openssl', 'curl')


def start_nginx(h, certs, run=None, sock=None):
    """nginx with the shipped site in `run` (default: the harness run directory) in front of
    `sock` (default: the service's socket)."""
    run = run or h.run
    http_port, https_port = W.free_port(), W.free_port()
    values = W.base_values(h)
    values.update({'HTTP_LISTEN': '127.0.0.1:%d' % http_port,
                   'HTTPS_LISTEN': '127.0.0.1:%d' % https_port,
                   'TLS_CERT': certs['cert'], 'TLS_KEY': certs['key'],
                   'HTPASSWD': os.path.join(run, 'htpasswd'),
                   'OPERATORS_MAP': os.path.join(run, 'operators.map'),
                   'OPENDCRE_CONFDIR': run, 'OPENDCRE_SOCKET': sock or h.sock})
    W.configure('nginx/opendcre.conf', os.path.join(run, 'nginx', 'opendcre.conf'), values)
    site = W.configure('nginx/opendcre-site.conf', os.path.join(run, 'opendcre-site.conf'), values)
    with open(values['HTPASSWD'], 'w') as f:
        f.write(W.htpasswd_line('alice', 'alice-secret', T['openssl']))
        f.write(W.htpasswd_line('victor', 'victor-secret', T['openssl']))
    with open(values['OPERATORS_MAP'], 'w') as f:
        f.write('alice operator;\n')
    if os.path.exists('/etc/nginx/fastcgi_params'):
        shutil.copy('/etc/nginx/fastcgi_params', os.path.join(run, 'fastcgi_params'))
    else:
        with open(os.path.join(run, 'fastcgi_params'), 'w') as f:
            for k, v in (('REQUEST_METHOD', '$request_method'), ('REQUEST_URI', '$request_uri'),
                         ('CONTENT_LENGTH', '$content_length'), ('REMOTE_USER', '$remote_user'),
                         ('SERVER_PROTOCOL', '$server_protocol'), ('REMOTE_ADDR', '$remote_addr')):
                f.write('fastcgi_param %s %s;\n' % (k, v))
    user, group = W.user_group()
    conf = os.path.join(run, 'nginx.conf')
    with open(conf, 'w') as f:
        f.write('daemon off;\nmaster_process on;\nworker_processes 1;\n'
                + ('user %s %s;\n' % (user, group) if W.is_root() else '')
                + 'pid %s/nginx.pid;\nerror_log %s/nginx-error.log warn;\n' % (run, run)
                + 'events { worker_connections 64; }\n'
                + 'http {\n    access_log %s/nginx-access.log;\n' % run
                + ''.join('    %s_temp_path %s/nginx-%s;\n' % (t, run, t)
                          for t in ('client_body', 'fastcgi', 'proxy', 'uwsgi', 'scgi'))
                + '    include %s;\n}\n' % site)
    log = os.path.join(run, 'nginx-error.log')
    srv = W.Server('nginx', [T['nginx'], '-p', run + '/', '-c', conf, '-e', log],
                   log, ports=(http_port, https_port))
    return srv, http_port, https_port


def main():
    h = W.start_harness('nginx')
    srv = None
    try:
        certs = W.make_certs(os.path.join(h.run, 'tls'), T['openssl'])
        srv, http_port, https_port = W.retry_bind(lambda: start_nginx(h, certs))
        plain = 'http://127.0.0.1:%d' % http_port
        tls = 'https://localhost:%d' % https_port
        ca = certs['ca']

        def plain_test():
            H.expect_ok(H.http_raw(http_port, H.build_request('GET', P13 + '/test')),
                        {'status': 'ok'}, 'plain /test')

        def plain_read():
            r = H.http_raw(http_port, H.build_request('GET', P13 + '/read/thermistor/rack_1/00000001/01ff'))
            W.check_thermistor(H.expect_ok(r, None, 'plain read'), 'plain read')
            r = H.http_raw(http_port, H.build_request('GET', P12 + '/read/thermistor/00000001/01ff'))
            W.check_thermistor(H.expect_ok(r, None, '1.2 read'), '1.2 read')

        def plain_errors_json():
            r = H.http_raw(http_port, H.build_request('GET', P13 + '/nosuchroute'))
            H.expect_error(r, 404, '1.3', message=H.API13_404['message'], what='404')
            r = H.http_raw(http_port, H.build_request('GET', P13 + '/version/rack_1/%zz'))
            H.expect_error(r, 400, '1.3', what='bad escape')

        def tls_ok():
            W.check_thermistor(W.expect_curl_ok(
                W.curl(tls + P13 + '/read/thermistor/rack_1/00000001/01ff', cacert=ca,
                       user='alice:alice-secret'), None, 'TLS read'), 'TLS read')
            W.expect_curl_ok(W.curl(tls + P13 + '/test', cacert=ca, user='alice:alice-secret'),
                             {'status': 'ok'}, 'TLS /test')
            r = W.curl('https://127.0.0.1:%d%s/test' % (https_port, P13), cacert=ca,
                       user='alice:alice-secret')
            W.expect_curl_ok(r, {'status': 'ok'}, 'TLS by IP address')

        def basic_auth():
            r = W.curl(tls + P13 + '/test', cacert=ca)
            assert r.status == 401 and r.header('WWW-Authenticate'), 'no credentials: %r' % r
            # nginx's own 401 is JSON as well (issue 11 item 9)
            assert r.header('Content-Type') == ['application/json'], r.headers
            assert r.json()['http_code'] == 401, r
            r = W.curl(tls + P13 + '/test', cacert=ca, user='alice:wrong')
            assert r.status == 401, 'wrong password: %r' % r
            r = W.curl(tls + P13 + '/test', cacert=ca, user='mallory:alice-secret')
            assert r.status == 401, 'unknown user: %r' % r
            W.expect_curl_ok(W.curl(tls + P13 + '/test', cacert=ca, user='alice:alice-secret'),
                             {'status': 'ok'}, 'right credentials')

        def audit_user():
            r = W.curl(tls + P13 + '/power/rack_1/00000001/0003/on', cacert=ca, user='alice:alice-secret')
            body = W.expect_curl_ok(r, None, 'power on')
            assert body.get('power_status') == 'on', body
            line = W.wait_audit(h.svc_log, r'user=alice method=GET route=/opendcre/1\.3/power/'
                                r'rack_1/00000001/0003/on board=00000001 device=0003 outcome=200$')
            assert 'alice-secret' not in line, line
            # a read is not audited; an unauthenticated change on the loopback server is, as "-"
            n = len(W.audit_lines(h.svc_log))
            W.curl(tls + P13 + '/power/rack_1/00000001/0003', cacert=ca, user='alice:alice-secret')
            r = H.http_raw(http_port, H.build_request('GET', P13 + '/led/rack_1/00000001/0002/on'))
            H.expect_ok(r, {'led_state': 'on'}, 'led on')
            W.wait_audit(h.svc_log, r'user=- method=GET route=/opendcre/1\.3/led/rack_1/00000001/'
                         r'0002/on board=00000001 device=0002 outcome=200$')
            lines = W.audit_lines(h.svc_log)[n:]
            assert len(lines) == 1, 'expected only the LED audit line: %r' % lines

        def passed_params():
            # what the shipped snippet hands the service: a second nginx from the same files in
            # front of a FastCGI peer that records the parameters
            cap_run = os.path.join(h.run, 'capture')
            os.makedirs(cap_run)
            cap = W.FcgiCapture(os.path.join(cap_run, 'capture.sock'))
            csrv = None
            try:
                csrv, _, cport = W.retry_bind(lambda: start_nginx(h, certs, cap_run, cap.path))
                target = P13 + '/read/thermistor/rack%201//00000001/%30%31ff?x=1'
                r = W.curl('https://localhost:%d%s' % (cport, target), cacert=ca,
                           user='alice:alice-secret',
                           extra=['--path-as-is', '-H', 'Proxy-Authorization: Basic Zm9vOmJhcg=='])
                assert r.status == 200 and r.json() == {'captured': True}, r
                p = cap.requests[-1]
                assert p.get('REQUEST_URI') == target, 'REQUEST_URI %r' % p.get('REQUEST_URI')
                assert p.get('REQUEST_METHOD') == 'GET', p
                assert p.get('REMOTE_USER') == 'alice', 'REMOTE_USER %r' % p.get('REMOTE_USER')
                for k in ('HTTP_AUTHORIZATION', 'HTTP_PROXY_AUTHORIZATION'):
                    assert k not in p, '%s reaches the service' % k
            finally:
                if csrv is not None:
                    csrv.stop(signal.SIGQUIT)
                cap.close()

        R.check('plain HTTP: /test through nginx', plain_test)
        R.check('plain HTTP: thermistor read (1.3 and 1.2) through nginx', plain_read)
        R.check('plain HTTP: the service answers 404 and 400 with JSON', plain_errors_json)
        R.check('HTTPS with the test CA (curl --cacert): /test and a read', tls_ok)
        W.check_tls_refusals(R, tls, https_port, 'alice:alice-secret')
        R.check('Basic auth: 401 without and with wrong credentials, 200 with the right ones', basic_auth)
        def rejected_request_json():
            # a request line nginx refuses (bad escape) is answered by the service's JSON 400,
            # also on the authenticated server, where nginx cannot check credentials for it
            for url in (tls + P13 + '/version/rack_1/%zz', plain + P13 + '/version/rack_1/%zz'):
                for user in (None, 'alice:alice-secret'):
                    r = W.curl(url, cacert=ca, user=user)
                    assert r.status == 400 and r.json()['http_code'] == 400, '%s %s: %r' % (url, user, r)
                    assert r.header('Access-Control-Allow-Origin') == ['*'], r.headers
            r = W.curl(tls + P13 + '/version/rack_1/00000001', cacert=ca)
            assert r.status == 401, 'a valid request still needs credentials: %r' % r

        R.check('refused request lines get the JSON 400 on both servers, credentials or not',
                rejected_request_json)

        def server_errors_json():
            # errors nginx answers itself are JSON too (issue 11 item 9): a target beyond the
            # default 8 KiB header buffers, and the service not running
            r = H.http_raw(http_port, H.build_request('GET', P13 + '/test/' + 'a' * 10000))
            H.expect_error(r, 414, '1.3', prefix='The length of the requested URL exceeds',
                           what='10 KiB target')
            down_run = os.path.join(h.run, 'down')
            os.makedirs(down_run)
            dsrv = None
            try:
                dsrv, dport, dtls = W.retry_bind(lambda: start_nginx(
                    h, certs, down_run, os.path.join(down_run, 'no-service.sock')))
                r = H.http_raw(dport, H.build_request('GET', P13 + '/test'))
                H.expect_error(r, 502, '1.3', prefix='The proxy server received an invalid',
                               what='service down')
                r = H.http_raw(dport, H.build_request('GET', P12 + '/scan'))
                H.expect_error(r, 502, '1.2', message='502: Bad Gateway', what='1.2 service down')
                r = W.curl('https://localhost:%d%s/test' % (dtls, P13), cacert=ca,
                           user='alice:alice-secret')
                assert r.status == 502 and r.json()['http_code'] == 502, r
                assert r.header('Content-Type') == ['application/json'], r.headers
            finally:
                if dsrv is not None:
                    dsrv.stop(signal.SIGQUIT)

        R.check('nginx\'s own 414 and 502 are JSON bodies of the version', server_errors_json)
        R.check('the service gets the raw REQUEST_URI and REMOTE_USER, not the Authorization header',
                passed_params)
        R.check('audit line names the Basic user of a power command; reads are not audited', audit_user)
        roles.check(R, 'nginx Basic', roles.curl_send(tls, {'viewer': 'victor:victor-secret',
                                                            'operator': 'alice:alice-secret'}, ca),
                    h.svc_log, 'victor', 'alice')

        def plain_no_role():
            # the loopback server has no user, hence no role: state changes as before
            r = H.http_raw(http_port, H.build_request('GET', P13 + '/led/rack_1/00000001/0002/off'))
            H.expect_ok(r, {'led_state': 'off'}, 'led off on the plain server')

        R.check('plain loopback server: no role, state changes allowed as before', plain_no_role)
    except Exception as e:  # noqa: BLE001
        R.fail('nginx set-up', e)
    finally:
        problems = []
        if srv is not None:
            rc = srv.stop(signal.SIGQUIT)
            if rc != 0:
                problems.append('nginx exited with %s after SIGQUIT' % rc)
            problems += srv.crashes()
        problems += h.stop()
        R.harness_problems(problems)
    R.finish()


if __name__ == '__main__':
    main()
