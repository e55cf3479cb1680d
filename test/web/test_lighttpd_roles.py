#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""lighttpd with the shipped snippets 15-opendcre.conf and 14-opendcre-auth.conf (mod_auth with
a password file, opendcre-roles.lua in mod_magnet for the role) in front of real workers and
the emulator (issue 15): 401 without or with wrong credentials; alice (in the operators list)
and victor (only in the password file) through test/web/roles.py: victor reads and is refused
every state change of the route table (OpenDCRE and Redfish) with 403, alice is not; the open
Redfish documents need no credentials; a forged role header changes nothing."""

import os
import shutil
import signal

import roles
import webtest as W
from webtest import H, P13

R = H.Runner('web-lighttpd-roles')
T = W.need('lighttpd', 'openssl', 'curl')
if not os.path.exists('/usr/lib/lighttpd/mod_magnet.so'):
    H.skip('lighttpd mod_magnet missing (apt-get install lighttpd-modules-lua)')


def start_lighttpd(h):
    run = h.run
    values = W.base_values(h)
    values.update({'HTPASSWD': os.path.join(run, 'htpasswd'),
                   'LIGHTTPD_OPERATORS': os.path.join(run, 'operators')})
    for name in ('14-opendcre-auth.conf', '15-opendcre.conf', 'opendcre-roles.lua'):
        W.configure('lighttpd/' + name, os.path.join(run, 'lighttpd', name), values)
    shutil.copytree(os.path.join(H.SOURCE, 'etc', 'lighttpd', 'errors'),
                    os.path.join(run, 'lighttpd', 'errors'), dirs_exist_ok=True)
    with open(values['HTPASSWD'], 'w') as f:
        f.write(W.htpasswd_line('alice', 'alice-secret', T['openssl']))
        f.write(W.htpasswd_line('victor', 'victor-secret', T['openssl']))
    with open(values['LIGHTTPD_OPERATORS'], 'w') as f:
        f.write('# operators of the test\nalice\n')
    docroot = os.path.join(run, 'www')
    os.makedirs(docroot, exist_ok=True)

    def start():
        port = W.free_port()
        log = os.path.join(run, 'lighttpd-error.log')
        conf = os.path.join(run, 'lighttpd.conf')
        with open(conf, 'w') as f:
            f.write('server.document-root = "%s"\n' % docroot
                    + 'server.bind = "127.0.0.1"\nserver.port = %d\n' % port
                    + 'server.errorlog = "%s"\nserver.max-worker = 0\n' % log
                    + ''.join('include "%s"\n' % os.path.join(run, 'lighttpd', n)
                              for n in ('14-opendcre-auth.conf', '15-opendcre.conf')))
        W.run([T['lighttpd'], '-tt', '-f', conf])
        return W.Server('lighttpd', [T['lighttpd'], '-D', '-f', conf], log, ports=(port,)), port
    return W.retry_bind(start)


def main():
    h = W.start_harness('lighttpd-roles')
    srv = None
    try:
        srv, port = start_lighttpd(h)
        base = 'http://127.0.0.1:%d' % port

        def basic_auth():
            for path in (P13 + '/test', '/metrics', '/redfish/v1/Systems'):
                r = W.curl(base + path)
                assert r.status == 401 and r.header('WWW-Authenticate'), '%s: %r' % (path, r)
                r = W.curl(base + path, user='victor:wrong')
                assert r.status == 401, '%s: %r' % (path, r)
            r = W.curl(base + P13 + '/test')
            assert r.json()['http_code'] == 401, r
            for path in ('/redfish/v1/', '/redfish/v1/odata', '/redfish/v1/$metadata'):
                r = W.curl(base + path, extra=['--path-as-is'])
                assert r.status == 200, '%s: %r' % (path, r)

        def forged_role():
            r = W.curl(base + P13 + '/led/rack_1/00000001/0002/on', user='victor:victor-secret',
                       extra=['-H', 'OPENDCRE_ROLE: operator', '-H', 'OPENDCRE-ROLE: operator'])
            roles.expect_refusal(r.status, r.body, P13 + '/led', 'viewer with a forged role header')

        R.check('lighttpd Basic: 401 without and with wrong credentials (OpenDCRE, metrics, '
                'Redfish); the open Redfish documents need none', basic_auth)
        R.check('a viewer cannot raise its role with a request header', forged_role)
        roles.check(R, 'lighttpd Basic', roles.curl_send(base, {'viewer': 'victor:victor-secret',
                                                               'operator': 'alice:alice-secret'}),
                    h.svc_log, 'victor', 'alice')
    except Exception as e:  # noqa: BLE001
        R.fail('lighttpd set-up', e)
    finally:
        problems = []
        if srv is not None:
            rc = srv.stop(signal.SIGTERM)
            if rc not in (0, 1):  # 1: a client connection still open at shutdown
                problems.append('lighttpd exited with %s after SIGTERM' % rc)
            problems += srv.crashes()
        problems += h.stop()
        R.harness_problems(problems)
    R.finish()


if __name__ == '__main__':
    main()
