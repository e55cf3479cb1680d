#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Apache 2.4 with the shipped example site etc/apache2/opendcre-site.conf, the mod_proxy_fcgi
snippet etc/apache2/opendcre.conf and the LDAP snippet etc/apache2/opendcre-ldap.conf, in front
of real workers and the emulator, authenticating against a real slapd started here with a
test directory (ou=people: alice, an operator, victor, a viewer, and bob, in neither group;
cn=operators, cn=viewers).

Checks: /test and a read over plain HTTP; HTTPS with a certificate made at test time (curl
--cacert); plain HTTP to the TLS port refused; LDAP: 401 without credentials, 401 with a wrong
password, 403 for bob, 200 for alice, and alice as REMOTE_USER in the audit line of a power
command; the raw request target reaches the service (%2F, JSON 404); roles (issue 15): victor
reads but is refused every state change of the route table (OpenDCRE and Redfish), alice is
not (test/web/roles.py)."""

import os
import signal

import roles
import webtest as W
from webtest import H, P12, P13

R = H.Runner('web-apache')
T = W.need('apache2', 'slapd', 'slapadd', 'openssl', 'curl')
MODULES_DIR = '/usr/lib/apache2/modules'
MODULES = ['mpm_event', 'authn_core', 'authz_core', 'authz_user', 'auth_basic', 'ldap', 'authnz_ldap',
           'proxy', 'proxy_fcgi', 'socache_shmcb', 'ssl', 'headers']
for _m in MODULES:
    if not os.path.exists(os.path.join(MODULES_DIR, 'mod_%s.so' % _m)):
        H.skip('Apache module %s/mod_%s.so missing (apt-get install apache2)' % (MODULES_DIR, _m))

SUFFIX = 'dc=example,dc=com'
OPERATORS = 'cn=operators,ou=groups,' + SUFFIX
VIEWERS = 'cn=viewers,ou=groups,' + SUFFIX
LDIF = """dn: {s}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,{s}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{s}
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,{s}
objectClass: inetOrgPerson
uid: alice
cn: Alice Operator
sn: Operator
userPassword: alice-secret

dn: uid=bob,ou=people,{s}
objectClass: inetOrgPerson
uid: bob
cn: Bob Viewer
sn: Viewer
userPassword: bob-secret

dn: uid=victor,ou=people,{s}
objectClass: inetOrgPerson
uid: victor
cn: Victor Viewer
sn: Viewer
userPassword: victor-secret

dn: {g}
objectClass: groupOfNames
cn: operators
member: uid=alice,ou=people,{s}

dn: {v}
objectClass: groupOfNames
cn: viewers
member: uid=victor,ou=people,{s}
""".format(s=SUFFIX, g=OPERATORS, v=VIEWERS)


def start_slapd(run):
    """slapd as a plain process: slapd.conf with an mdb database in the run directory, the
    test directory loaded offline with slapadd; nothing system-wide is used or changed."""
    d = os.path.join(run, 'ldap')
    db = os.path.join(d, 'db')
    os.makedirs(db)
    conf = os.path.join(d, 'slapd.conf')
    with open(conf, 'w') as f:
        f.write('include /etc/ldap/schema/core.schema\n'
                'include /etc/ldap/schema/cosine.schema\n'
                'include /etc/ldap/schema/inetorgperson.schema\n'
                'pidfile %s/slapd.pid\nargsfile %s/slapd.args\n' % (d, d)
                + 'modulepath /usr/lib/ldap\nmoduleload back_mdb\n'
                'database mdb\nmaxsize 16777216\nsuffix "%s"\n' % SUFFIX
                + 'rootdn "cn=admin,%s"\nrootpw admin-secret\ndirectory %s\n' % (SUFFIX, db)
                + 'access to attrs=userPassword by anonymous auth by * none\n'
                'access to * by * read\n')
    ldif = os.path.join(d, 'directory.ldif')
    with open(ldif, 'w') as f:
        f.write(LDIF)
    W.run([T['slapadd'], '-q', '-f', conf, '-l', ldif])

    def start():
        port = W.free_port()
        log = os.path.join(run, 'slapd.log')
        srv = W.Server('slapd', [T['slapd'], '-f', conf, '-h', 'ldap://127.0.0.1:%d/' % port,
                                 '-d', '0'], log, ports=(port,))
        return srv, port
    return W.retry_bind(start)


def start_apache(h, certs, ldap_port, run=None, sock=None):
    """Apache with the shipped site in `run` (default: the harness run directory) in front of
    `sock` (default: the service's socket)."""
    run = run or h.run
    http_port, https_port = W.free_port(), W.free_port()
    values = W.base_values(h)
    values.update({
        'OPENDCRE_CONFDIR': run, 'OPENDCRE_SOCKET': sock or h.sock,
        'HTTP_LISTEN': '127.0.0.1:%d' % http_port, 'HTTPS_LISTEN': '127.0.0.1:%d' % https_port,
        'TLS_CERT': certs['cert'], 'TLS_KEY': certs['key'],
        'LDAP_URL': 'ldap://127.0.0.1:%d/ou=people,%s?uid?sub?(objectClass=inetOrgPerson)'
                    % (ldap_port, SUFFIX),
        'LDAP_GROUP': OPERATORS,
        'LDAP_VIEWERS_GROUP': VIEWERS,
    })
    for name in ('opendcre.conf', 'opendcre-ldap.conf'):
        W.configure('apache2/' + name, os.path.join(run, 'apache2', name), values)
    site = W.configure('apache2/opendcre-site.conf', os.path.join(run, 'opendcre-site.conf'), values)
    if W.is_root():
        # Apache refuses to serve as root: its children run as www-data, which reaches the
        # service's socket through its group, as with opendcre.socket (SocketGroup=www-data).
        user = group = 'www-data'
        W.open_socket_to(h, group)
    else:
        user, group = W.user_group()
    log = os.path.join(run, 'apache-error.log')
    conf = os.path.join(run, 'apache2.conf')
    with open(conf, 'w') as f:
        f.write('ServerRoot "%s"\nServerName localhost\n' % run
                + ''.join('LoadModule %s_module %s/mod_%s.so\n' % (m, MODULES_DIR, m) for m in MODULES)
                + 'User %s\nGroup %s\n' % (user, group)
                + 'PidFile "%s/apache.pid"\nDefaultRuntimeDir "%s"\nMutex pthread default\n' % (run, run)
                + 'ErrorLog "%s"\nLogLevel warn\n' % log
                + 'DocumentRoot "%s"\n' % run
                + 'StartServers 1\nServerLimit 1\nThreadLimit 16\nThreadsPerChild 16\n'
                'MaxRequestWorkers 16\nMinSpareThreads 1\nMaxSpareThreads 16\n'
                + 'SSLSessionCache "shmcb:%s/ssl_scache(65536)"\n' % run
                + 'Include "%s"\n' % site)
    srv = W.Server('apache2', [T['apache2'], '-f', conf, '-DFOREGROUND'], log,
                   ports=(http_port, https_port))
    return srv, http_port, https_port


def main():
    h = W.start_harness('apache')
    ldap = apache = None
    try:
        certs = W.make_certs(os.path.join(h.run, 'tls'), T['openssl'])
        ldap, ldap_port = start_slapd(h.run)
        apache, http_port, https_port = W.retry_bind(lambda: start_apache(h, certs, ldap_port))
        plain = 'http://127.0.0.1:%d' % http_port
        tls = 'https://localhost:%d' % https_port
        ca = certs['ca']

        def plain_test_and_read():
            W.expect_curl_ok(W.curl(plain + P13 + '/test'), {'status': 'ok'}, 'plain /test')
            W.check_thermistor(W.expect_curl_ok(
                W.curl(plain + P13 + '/read/thermistor/rack_1/00000001/01ff'), None, 'plain read'))
            W.check_thermistor(W.expect_curl_ok(
                W.curl(plain + P12 + '/read/thermistor/00000001/01ff'), None, '1.2 read'))

        def raw_target():
            # %2F separates segments once the service decodes the raw REQUEST_URI
            # (AllowEncodedSlashes NoDecode in the snippet)
            W.check_thermistor(W.expect_curl_ok(
                W.curl(plain + P13 + '/read/thermistor%2Frack_1/00000001/%30%31ff'), None, '%2F'))
            r = H.http_raw(http_port, H.build_request('GET', P13 + '/nosuchroute'))
            H.expect_error(r, 404, '1.3', message=H.API13_404['message'], what='404 from the service')
            r = H.http_raw(http_port, H.build_request('GET', P12 + '/scan/zz'))
            H.expect_error(r, 500, '1.2', prefix='Error converting board_num to integer', what='1.2 500')

        def tls_operator():
            W.expect_curl_ok(W.curl(tls + P13 + '/test', cacert=ca, user='alice:alice-secret'),
                             {'status': 'ok'}, 'TLS /test as alice')
            W.check_thermistor(W.expect_curl_ok(
                W.curl(tls + P13 + '/read/thermistor/rack_1/00000001/01ff', cacert=ca,
                       user='alice:alice-secret'), None, 'TLS read as alice'))

        def ldap_auth():
            r = W.curl(tls + P13 + '/test', cacert=ca)
            assert r.status == 401 and r.header('WWW-Authenticate'), 'no credentials: %r' % r
            # Apache's own 401 and 403 are JSON bodies too (issue 11 item 9)
            assert r.header('Content-Type') == ['application/json'], r.headers
            assert r.json()['http_code'] == 401, r
            r = W.curl(tls + P13 + '/test', cacert=ca, user='alice:wrong')
            assert r.status == 401, 'wrong password: %r' % r
            r = W.curl(tls + P13 + '/test', cacert=ca, user='nobody:alice-secret')
            assert r.status == 401, 'unknown user: %r' % r
            r = W.curl(tls + P13 + '/test', cacert=ca, user='bob:bob-secret')
            assert r.status == 403, 'valid user outside the operators group: %r' % r
            assert r.header('Content-Type') == ['application/json'], r.headers
            assert r.json()['http_code'] == 403, r
            r = W.curl(tls + P12 + '/test', cacert=ca, user='bob:bob-secret')
            assert r.status == 403 and r.json() == {'message': '403: Forbidden'}, r
            W.expect_curl_ok(W.curl(tls + P13 + '/test', cacert=ca, user='alice:alice-secret'),
                             {'status': 'ok'}, 'operator')

        def audit_operator():
            n = len(W.audit_lines(h.svc_log))
            r = W.curl(tls + P13 + '/power/rack_1/00000001/0003/off', cacert=ca, user='alice:alice-secret')
            body = W.expect_curl_ok(r, None, 'power off')
            assert body.get('power_status') == 'off', body
            line = W.wait_audit(h.svc_log, r'user=alice method=GET route=/opendcre/1\.3/power/'
                                r'rack_1/00000001/0003/off board=00000001 device=0003 outcome=200$')
            assert 'secret' not in line, line
            r = W.curl(tls + P12 + '/power/on/00000001/0003', cacert=ca, user='alice:alice-secret')
            W.expect_curl_ok(r, None, 'old-style power on')
            W.wait_audit(h.svc_log, r'user=alice method=GET route=/opendcre/1\.2/power/on/00000001/'
                         r'0003 board=00000001 device=0003 outcome=200$')
            r = W.curl(tls + P13 + '/power/rack_1/00000001/0003/reboot', cacert=ca,
                       user='alice:alice-secret')
            assert r.status == 500, r
            W.wait_audit(h.svc_log, r'user=alice method=GET route=/opendcre/1\.3/power/rack_1/00000001/'
                         r"0003/reboot board=00000001 device=0003 outcome=500 Invalid power action 'reboot'")
            # bob is refused by Apache: nothing reaches the service
            W.curl(tls + P13 + '/power/rack_1/00000001/0003/on', cacert=ca, user='bob:bob-secret')
            lines = W.audit_lines(h.svc_log)[n:]
            assert len(lines) == 3 and not any('user=bob' in ln for ln in lines), lines

        def passed_params():
            # what the shipped snippets hand the service: a second Apache from the same files
            # in front of a FastCGI peer that records the parameters
            cap_run = os.path.join(h.run, 'capture')
            os.makedirs(cap_run)
            cap = W.FcgiCapture(os.path.join(cap_run, 'capture.sock'))
            csrv = None
            try:
                csrv, _, cport = W.retry_bind(lambda: start_apache(h, certs, ldap_port, cap_run, cap.path))
                target = P13 + '/read/thermistor/rack%201//00000001/%30%31ff?x=1'
                r = W.curl('https://localhost:%d%s' % (cport, target), cacert=ca,
                           user='alice:alice-secret',
                           extra=['--path-as-is', '-H', 'Proxy-Authorization: Basic Zm9vOmJhcg=='])
                assert r.status == 200 and r.json() == {'captured': True}, r
                p = cap.requests[-1]
                H.log('mod_proxy_fcgi: REQUEST_URI=%r SCRIPT_NAME=%r PATH_INFO=%r' % (
                    p.get('REQUEST_URI'), p.get('SCRIPT_NAME'), p.get('PATH_INFO')))
                assert p.get('REQUEST_URI') == target, 'REQUEST_URI %r' % p.get('REQUEST_URI')
                assert p.get('REQUEST_METHOD') == 'GET', p
                assert p.get('REMOTE_USER') == 'alice', 'REMOTE_USER %r' % p.get('REMOTE_USER')
                for k in ('HTTP_AUTHORIZATION', 'HTTP_PROXY_AUTHORIZATION'):
                    assert k not in p, '%s reaches the service' % k
            finally:
                if csrv is not None:
                    csrv.stop(signal.SIGTERM)
                cap.close()

        def server_errors_json():
            # errors Apache answers itself are JSON too (issue 11 item 9): a target over
            # LimitRequestLine, and the service not running (mod_proxy_fcgi: 503)
            r = H.http_raw(http_port, H.build_request('GET', P13 + '/test/' + 'a' * 10000))
            H.expect_error(r, 414, '1.3', prefix='The length of the requested URL exceeds',
                           what='10 KiB target')
            down_run = os.path.join(h.run, 'down')
            os.makedirs(down_run)
            dsrv = None
            try:
                dsrv, dport, _ = W.retry_bind(lambda: start_apache(
                    h, certs, ldap_port, down_run, os.path.join(down_run, 'no-service.sock')))
                r = H.http_raw(dport, H.build_request('GET', P13 + '/test'))
                H.expect_error(r, 503, '1.3', prefix='The server is temporarily unable',
                               what='service down')
                assert r.header('Cache-Control') == ['no-store'], r.headers
                r = H.http_raw(dport, H.build_request('GET', P12 + '/scan'))
                H.expect_error(r, 503, '1.2', message='503: Service Unavailable',
                               what='1.2 service down')
            finally:
                if dsrv is not None:
                    dsrv.stop(signal.SIGTERM)

        R.check('plain HTTP: /test and reads through Apache mod_proxy_fcgi', plain_test_and_read)
        R.check('Apache\'s own 414 and 503 are JSON bodies of the version', server_errors_json)
        R.check('the raw request target reaches the service (%2F, JSON 404 and 500)', raw_target)
        R.check('HTTPS with the test CA (curl --cacert): /test and a read as an operator', tls_operator)
        W.check_tls_refusals(R, tls, https_port, 'alice:alice-secret')
        R.check('LDAP: 401 without credentials and with a wrong password, 403 for a non-operator, '
                '200 for an operator', ldap_auth)
        R.check('the service gets the raw REQUEST_URI and the LDAP uid as REMOTE_USER, not the '
                'Authorization header', passed_params)
        R.check('audit line carries the LDAP operator as REMOTE_USER for power commands', audit_operator)

        def role_param():
            # the role reaches the service as OPENDCRE_ROLE; a client's header of that name
            # does not (it would be HTTP_OPENDCRE_ROLE, and is ignored)
            r = W.curl(tls + P13 + '/led/rack_1/00000001/0002/on', cacert=ca, user='victor:victor-secret',
                       extra=['-H', 'OPENDCRE_ROLE: operator', '-H', 'OPENDCRE-ROLE: operator'])
            roles.expect_refusal(r.status, r.body, P13 + '/led', 'viewer with a forged role header')
            r = W.curl(tls + '/opendcre-role/operator', cacert=ca, user='victor:victor-secret')
            assert r.status in (401, 403, 404) , r

        R.check('a viewer cannot raise its role with a request header', role_param)
        roles.check(R, 'LDAP', roles.curl_send(tls, {'viewer': 'victor:victor-secret',
                                                     'operator': 'alice:alice-secret'}, ca),
                    h.svc_log, 'victor', 'alice')
    except Exception as e:  # noqa: BLE001
        R.fail('Apache / slapd set-up', e)
    finally:
        problems = []
        if apache is not None:
            rc = apache.stop(signal.SIGTERM)
            if rc != 0:
                problems.append('apache2 exited with %s after SIGTERM' % rc)
            problems += apache.crashes()
        if ldap is not None:
            rc = ldap.stop(signal.SIGTERM)
            if rc != 0:
                problems.append('slapd exited with %s after SIGTERM' % rc)
        problems += h.stop()
        R.harness_problems(problems)
    R.finish()


if __name__ == '__main__':
    main()
