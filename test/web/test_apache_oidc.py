#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""OAuth 2.0 bearer tokens (issue 15): Apache with mod_auth_openidc and the shipped snippet
etc/apache2/opendcre-oidc.conf (in the example site in place of the LDAP one) in front of real
workers and the emulator, and a real OpenID Connect provider, Glewlwyd (test/web/glewlwyd.py),
started here on loopback with one client per role. Every token is a real one from Glewlwyd's
token endpoint (client-credentials grant).

Checks: no token 401; an expired token 401 (from a plugin instance of the same issuer and key
whose tokens live 1 s); a token signed by another key 401 (a plugin instance of the same
issuer with its own key, not in the JWKS Apache trusts); a token for another audience (resource
indicator) 401; a token without either scope 401; the viewer token reads and is refused every
state change of the route table (OpenDCRE and Redfish) with 403, the operator token is not, the
token's subject in the audit line (test/web/roles.py); the token reaches neither the service
(a FastCGI peer that records the parameters) nor Apache's log."""

import os
import signal
import time

import glewlwyd as G
import roles
import webtest as W
from webtest import H, P12, P13

R = H.Runner('web-apache-oidc')
T = W.need('apache2', 'openssl', 'curl')
MODULES_DIR = '/usr/lib/apache2/modules'
MODULES = ['mpm_event', 'authn_core', 'authz_core', 'authz_user', 'auth_basic', 'ldap',
           'authnz_ldap', 'proxy', 'proxy_fcgi', 'socache_shmcb', 'ssl', 'headers',
           'auth_openidc']
for _m in MODULES:
    if not os.path.exists(os.path.join(MODULES_DIR, 'mod_%s.so' % _m)):
        H.skip('Apache module %s/mod_%s.so missing (apt-get install apache2 '
               'libapache2-mod-auth-openidc)' % (MODULES_DIR, _m))
if G.missing():
    H.skip(G.missing())

AUDIENCE = 'https://opendcre.test/'
OTHER_AUDIENCE = 'https://other.test/'
CLIENTS = {'viewer': ('opendcre-viewer', 'viewer-secret', 'opendcre.read'),
           'operator': ('opendcre-operator', 'operator-secret', 'opendcre.write'),
           'none': ('opendcre-other', 'other-secret', 'other.scope')}


def start_apache(h, certs, gw, iss, run=None, sock=None):
    run = run or h.run
    http_port, https_port = W.free_port(), W.free_port()
    values = W.base_values(h)
    values.update({
        'OPENDCRE_CONFDIR': run, 'OPENDCRE_SOCKET': sock or h.sock,
        'HTTP_LISTEN': '127.0.0.1:%d' % http_port, 'HTTPS_LISTEN': '127.0.0.1:%d' % https_port,
        'TLS_CERT': certs['cert'], 'TLS_KEY': certs['key'],
        'LDAP_URL': 'ldap://127.0.0.1:1/ou=people,dc=example,dc=com?uid?sub',
        'OIDC_JWKS_URI': gw.jwks_uri('oidc'), 'OIDC_ISSUER': iss, 'OIDC_AUDIENCE': AUDIENCE,
    })
    for name in ('opendcre.conf', 'opendcre-oidc.conf'):
        W.configure('apache2/' + name, os.path.join(run, 'apache2', name), values)
    site = W.configure('apache2/opendcre-site.conf', os.path.join(run, 'opendcre-site.conf'),
                       values)
    with open(site) as f:
        text = f.read()
    ldap_include = 'Include %s/apache2/opendcre-ldap.conf' % run
    assert ldap_include in text, text
    with open(site, 'w') as f:  # what the site's comment says: the OIDC snippet instead
        f.write(text.replace(ldap_include, 'Include %s/apache2/opendcre-oidc.conf' % run))
    if W.is_root():
        user = group = 'www-data'
        W.open_socket_to(h, group)
    else:
        user, group = W.user_group()
    log = os.path.join(run, 'apache-error.log')
    conf = os.path.join(run, 'apache2.conf')
    with open(conf, 'w') as f:
        f.write('ServerRoot "%s"\nServerName localhost\n' % run
                + ''.join('LoadModule %s_module %s/mod_%s.so\n' % (m, MODULES_DIR, m)
                          for m in MODULES)
                + 'User %s\nGroup %s\n' % (user, group)
                + 'PidFile "%s/apache.pid"\nDefaultRuntimeDir "%s"\nMutex pthread default\n'
                % (run, run)
                + 'ErrorLog "%s"\nLogLevel warn\n' % log
                + 'LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" '
                'combined\n'
                + 'CustomLog "%s/apache-access.log" combined\n' % run
                + 'DocumentRoot "%s"\n' % run
                # the provider's certificate is of the test CA
                + 'OIDCCABundlePath "%s"\n' % certs['ca']
                + 'StartServers 1\nServerLimit 1\nThreadLimit 16\nThreadsPerChild 16\n'
                'MaxRequestWorkers 16\nMinSpareThreads 1\nMaxSpareThreads 16\n'
                + 'SSLSessionCache "shmcb:%s/ssl_scache(65536)"\n' % run
                + 'Include "%s"\n' % site)
    srv = W.Server('apache2', [T['apache2'], '-f', conf, '-DFOREGROUND'], log,
                   ports=(http_port, https_port))
    return srv, http_port, https_port


def main():
    h = W.start_harness('apache-oidc')
    gw = apache = None
    try:
        certs = W.make_certs(os.path.join(h.run, 'tls'), T['openssl'])
        gw = G.Glewlwyd(h.run, certs)
        iss = gw.base + '/api/oidc'
        key, cert = G.make_key(gw.dir, 'signing', T['openssl'])
        other_key, other_cert = G.make_key(gw.dir, 'other', T['openssl'])
        gw.login()
        for s in ('opendcre.read', 'opendcre.write', 'other.scope'):
            gw.add_scope(s)
        resources = [AUDIENCE, OTHER_AUDIENCE]
        # the provider Apache trusts; the same issuer with short-lived tokens; the same
        # issuer name with another key (not in the JWKS of "oidc")
        gw.add_plugin('oidc', iss, key, cert, 3600, resources)
        gw.add_plugin('oidcshort', iss, key, cert, 1, resources)
        gw.add_plugin('oidcother', iss, other_key, other_cert, 3600, resources)
        for cid, secret, scope in CLIENTS.values():
            gw.add_client(cid, secret, [scope])

        def token(who, plugin='oidc', audience=AUDIENCE):
            cid, secret, scope = CLIENTS[who]
            return gw.token(plugin, cid, secret, scope, audience)

        tok = {'viewer': token('viewer'), 'operator': token('operator')}
        apache, http_port, https_port = W.retry_bind(
            lambda: start_apache(h, certs, gw, iss))
        tls = 'https://localhost:%d' % https_port
        ca = certs['ca']

        def bearer(t):
            return ['-H', 'Authorization: Bearer ' + t]

        def tokens_are_real():
            c = G.claims(tok['viewer'])
            assert c['iss'] == iss and c['aud'] == AUDIENCE and c['sub'] == 'opendcre-viewer', c
            assert c['scope'] == 'opendcre.read' and c['exp'] > time.time(), c
            assert G.claims(tok['operator'])['scope'] == 'opendcre.write'
            W.expect_curl_ok(W.curl(tls + P13 + '/test', cacert=ca,
                                    extra=bearer(tok['viewer'])), {'status': 'ok'}, 'viewer')

        def refused(t, what, challenge=True):
            """401; with the Bearer challenge where the token itself is invalid (Apache's
            authorization failures, a claim that does not match, answer 401 without it)."""
            for path in (P13 + '/test', P12 + '/scan', '/redfish/v1/Systems'):
                r = W.curl(tls + path, cacert=ca, extra=bearer(t) if t else [])
                assert r.status == 401, '%s: %s %r' % (what, path, r)
                assert not challenge or any(v.lower().startswith('bearer')
                                            for v in r.header('WWW-Authenticate')), \
                    '%s: %r' % (what, r.headers)
            r = W.curl(tls + P13 + '/test', cacert=ca, extra=bearer(t) if t else [])
            assert r.json()['http_code'] == 401, r

        def no_token():
            refused(None, 'no token')
            r = W.curl(tls + P13 + '/test', cacert=ca, user='opendcre-operator:operator-secret')
            assert r.status == 401, 'Basic credentials instead of a token: %r' % r

        def expired():
            t = token('operator', 'oidcshort')
            c = G.claims(t)
            assert c['exp'] - c['iat'] <= 1 and c['iss'] == iss, c
            time.sleep(max(0.0, c['exp'] - time.time()) + 1.5)
            refused(t, 'expired token')

        def other_key():
            t = token('operator', 'oidcother')
            assert G.claims(t)['iss'] == iss, G.claims(t)
            refused(t, 'token signed by another key')
            # the same token with its signature replaced by the trusted key's is refused too
            head, body, _ = t.split('.')
            refused('.'.join([head, body, tok['operator'].split('.')[2]]), 'forged signature')

        def wrong_audience():
            t = token('operator', audience=OTHER_AUDIENCE)
            assert G.claims(t)['aud'] == OTHER_AUDIENCE, G.claims(t)
            refused(t, 'token for another audience', False)

        def no_scope():
            refused(token('none'), 'token without opendcre.read or opendcre.write', False)

        R.check('Glewlwyd issues real tokens (client credentials; iss, aud, sub, scope); a '
                'viewer token is accepted', tokens_are_real)
        R.check('no token (or Basic credentials): 401 with WWW-Authenticate: Bearer', no_token)
        R.check('an expired token: 401', expired)
        R.check('a token signed by another key (same issuer): 401', other_key)
        R.check('a token for another audience: 401', wrong_audience)
        R.check('a token with neither scope: 401', no_scope)
        roles.check(R, 'OAuth', roles.curl_send(tls, None, ca, lambda who: bearer(tok[who])),
                    h.svc_log, 'opendcre-viewer', 'opendcre-operator')

        def token_stays_out():
            cap_run = os.path.join(h.run, 'capture')
            os.makedirs(cap_run)
            cap = W.FcgiCapture(os.path.join(cap_run, 'capture.sock'))
            csrv = None
            try:
                csrv, _, cport = W.retry_bind(lambda: start_apache(h, certs, gw, iss, cap_run,
                                                                   cap.path))
                for path in (P13 + '/led/rack_1/00000001/0002/on', '/redfish/v1/Systems'):
                    r = W.curl('https://localhost:%d%s' % (cport, path), cacert=ca,
                               extra=bearer(tok['operator']))
                    assert r.status == 200 and r.json() == {'captured': True}, r
                    p = cap.requests[-1]
                    assert p.get('REMOTE_USER') == 'opendcre-operator', p.get('REMOTE_USER')
                    assert p.get('OPENDCRE_ROLE') == 'operator', p.get('OPENDCRE_ROLE')
                    leaks = [k for k, v in p.items() if tok['operator'] in v
                             or tok['operator'].split('.')[2] in v]
                    assert not leaks, 'the token reaches the service in %r' % leaks
                    assert 'HTTP_AUTHORIZATION' not in p and 'OIDC_access_token' not in p, p
                r = W.curl('https://localhost:%d%s/test' % (cport, P13), cacert=ca,
                           extra=bearer(tok['viewer']))
                assert cap.requests[-1].get('OPENDCRE_ROLE') == 'viewer', cap.requests[-1]
            finally:
                if csrv is not None:
                    csrv.stop(signal.SIGTERM)
                cap.close()
            for run in (h.run, cap_run):
                for name in ('apache-error.log', 'apache-access.log'):
                    path = os.path.join(run, name)
                    with open(path, errors='replace') as f:
                        text = f.read()
                    for who in ('viewer', 'operator'):
                        assert tok[who].split('.')[2] not in text, 'token in %s' % path

        R.check('the service gets the subject as REMOTE_USER and the role as OPENDCRE_ROLE, '
                'never the token; Apache logs no token', token_stays_out)
    except Exception as e:  # noqa: BLE001
        R.fail('Apache / Glewlwyd set-up', e)
    finally:
        problems = []
        if apache is not None:
            rc = apache.stop(signal.SIGTERM)
            if rc != 0:
                problems.append('apache2 exited with %s after SIGTERM' % rc)
            problems += apache.crashes()
        if gw is not None:
            problems += gw.stop()
        problems += h.stop()
        R.harness_problems(problems)
    R.finish()


if __name__ == '__main__':
    main()
