#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every answer is JSON, also the errors nginx answers itself (issue 11 item 9), with the
shipped snippet etc/nginx/opendcre.conf: a request target of 16-32 KiB (nginx: "fastcgi request
record is too big", 500), one beyond large_client_header_buffers (414), a request header too
large (400), a body over client_max_body_size (413), the service stopped (502, also for a
request line nginx refuses and hands to the service; Redfish: 503 with Retry-After), and the
service too slow (504, Redfish 503: the workers stopped with SIGSTOP; the snippet's fastcgi_read_timeout cut from 60 s to 2 s
for the test, nothing else changed). Each answer has the API version's error body (api.md
§3.1), Content-Type application/json and the CORS header."""

import os
import signal
import time

import harness as H

R = H.Runner('server-errors')
P12 = '/opendcre/1.2'
P13 = '/opendcre/1.3'

MSG_500 = ('The server encountered an internal error and was unable to complete your request. '
           'Either the server is overloaded or there is an error in the application.')
MSG_502 = 'The proxy server received an invalid response from an upstream server.'
MSG_504 = 'The connection to an upstream server timed out.'
READ_TIMEOUT = 2
MSG_414 = ('The length of the requested URL exceeds the capacity limit for this server. '
           'The request cannot be processed.')


def log_has(h, text):
    with open(h.ngx_log, errors='replace') as f:
        return text in f.read()


def expect_redfish_503(r, what):
    """The Redfish answer of a service that is not there: 503, Retry-After, Base registry body."""
    assert r.status == 503, '%s: status %d %r' % (what, r.status, r.body[:200])
    assert r.header1('retry-after') == '5', '%s: Retry-After %r' % (what, r.header1('retry-after'))
    assert r.json()['error']['code'] == 'Base.1.22.ServiceTemporarilyUnavailable', (what, r.body[:200])


class SlowHarness(H.Harness):
    """nginx gives up on the service after READ_TIMEOUT seconds instead of 60."""

    def nginx_snippet(self, text):
        n = text.count('fastcgi_read_timeout 60s;')
        assert n >= 2, 'the snippet no longer sets fastcgi_read_timeout 60s'
        return text.replace('fastcgi_read_timeout 60s;', 'fastcgi_read_timeout %ds;' % READ_TIMEOUT)


def service_too_slow():
    h = SlowHarness('api.json', workers=2, name='server-errors-slow')
    h.start()
    problems = []
    workers = h.worker_pids()
    try:
        for p in workers:
            os.kill(p, signal.SIGSTOP)
        for target, version, message in ((P13 + '/test', '1.3', MSG_504),
                                          (P12 + '/scan', '1.2', '504: Gateway Timeout')):
            t = time.monotonic()
            r = h.get(target, timeout=30)
            took = time.monotonic() - t
            H.expect_error(r, 504, version, message=message, what='workers stopped: ' + target)
            assert READ_TIMEOUT - 0.2 <= took <= READ_TIMEOUT + 3, '%s: answered after %.1f s' % (target, took)
        expect_redfish_503(h.get('/redfish/v1/Chassis', timeout=30), 'Redfish, workers stopped')
        for p in workers:
            os.kill(p, signal.SIGCONT)
        H.expect_ok(h.get(P13 + '/test'), None, 'workers resumed: /test')
    finally:
        for p in workers:
            try:
                os.kill(p, signal.SIGCONT)
            except ProcessLookupError:
                pass
        problems += h.stop()
    assert not problems, problems


def main():
    H.require_tools()
    h = H.Harness('api.json', workers=2, name='server-errors')
    h.start()
    problems = []
    try:
        def record_too_big():
            # demo.conf.in allows 32 KiB request lines; three copies of a 20 KiB target do not
            # fit the FastCGI parameter record
            for prefix, version, message in ((P13, '1.3', MSG_500),
                                             (P12, '1.2', '500: Internal Server Error'),
                                             ('/opendcre//1.2', '1.2', '500: Internal Server Error')):
                r = h.get(prefix + '/read/thermistor/rack_1/1/' + 'a' * 20000)
                H.expect_error(r, 500, version, message=message, what=prefix + ' 20 KiB target')
                assert r.header('Cache-Control') == ['no-store'], r.headers
            r = h.get('/redfish/v1/Chassis/' + 'a' * 20000)
            assert r.status == 500 and r.json()['error']['code'] == 'Base.1.22.InternalError', \
                'Redfish 20 KiB target: %d %r' % (r.status, r.body[:200])
            assert r.header1('odata-version') == '4.0', r.headers
            assert log_has(h, 'fastcgi request record is too big'), \
                'nginx did not answer this itself; the test shows nothing'

        def uri_too_long():
            for prefix in (P13, P12):
                r = h.get(prefix + '/test/' + 'a' * 40000)
                # nginx has not parsed the request line: the version is unknown, the 1.3 body
                H.expect_error(r, 414, '1.3', message=MSG_414, what=prefix + ' 40 KiB target')

        def header_too_large():
            r = h.request(P13 + '/test', headers={'X-Big': 'b' * 40000})
            H.expect_error(r, 400, '1.3', prefix='The browser (or proxy) sent a request',
                           contains=('header',), what='40 KiB header')
            r = h.request(P12 + '/test', headers={'X-Big': 'b' * 40000})
            H.expect_error(r, 400, '1.2', prefix='400: Bad Request (', what='1.2 40 KiB header')

        def body_too_large():
            r = h.request(P13 + '/test', 'POST', body=b'x' * (2 << 20))
            H.expect_error(r, 413, '1.3', what='2 MiB body')

        def service_stopped():
            problems.extend(h.check_alive())
            h.svc.send_signal(signal.SIGTERM)
            assert h.svc.wait(20) == 0
            for target, version, message in ((P13 + '/test', '1.3', MSG_502),
                                              (P12 + '/test', '1.2', '502: Bad Gateway'),
                                              ('/opendcre//1.2/scan', '1.2', '502: Bad Gateway')):
                r = h.get(target)
                H.expect_error(r, 502, version, message=message, what='stopped: ' + target)
                assert r.header('Cache-Control') == ['no-store'], r.headers
            # a request line nginx refuses goes to the service for its JSON 400; with the
            # service stopped that is a JSON 502 too
            r = h.raw(b'GET /opendcre/1.3/version/rack_1/%zz HTTP/1.1\r\nHost: x\r\n'
                      b'Connection: close\r\n\r\n')
            H.expect_error(r, 502, '1.3', message=MSG_502, what='stopped: refused request line')
            expect_redfish_503(h.get('/redfish/v1/Chassis'), 'Redfish, service stopped')
            expect_redfish_503(h.get('/redfish/v1/'), 'Redfish service root, service stopped')

        R.check('16-32 KiB target: nginx\'s 500 is the version\'s JSON body (Redfish: InternalError)',
                record_too_big)
        R.check('target beyond the header buffers: JSON 414', uri_too_long)
        R.check('request header too large: JSON 400 of the version', header_too_large)
        R.check('body over client_max_body_size: JSON 413', body_too_large)
        R.check('service stopped: JSON 502 of the version, also for a refused request line; Redfish 503',
                service_stopped)
        R.check('service too slow: JSON 504 of the version after fastcgi_read_timeout, Redfish 503',
                service_too_slow)
    except Exception as e:  # noqa: BLE001
        R.fail('set-up', e)
    finally:
        problems += h.stop(check=False)
        R.harness_problems(problems)
    R.finish()


if __name__ == '__main__':
    main()
