#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A real OAuth 2.0 / OpenID Connect provider for the tests: Glewlwyd (Debian package glewlwyd),
started here on loopback with a SQLite database made from the package's own schema
(/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz) and configured through its admin API as
its administrator would: OpenID Connect plugin instances signing with RSA keys made here, the
scopes and one confidential client per role (client-credentials grant, client_secret_basic).

It serves HTTPS with the test's server certificate (webtest.make_certs; mod_auth_openidc
fetches a JWKS only over https). Tokens are requested on 127.0.0.1 exactly as a script would (grant_type
client_credentials, scope, and the RFC 8707 resource indicator that becomes the token's aud).
"""

import base64
import gzip
import json
import os
import sqlite3
import ssl
import urllib.error
import urllib.parse
import urllib.request

import webtest as W
from webtest import H

SAMPLE = '/usr/share/doc/glewlwyd/glewlwyd.conf.sample.gz'
SCHEMA = '/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz'
# the administrator the package's schema creates
ADMIN = ('admin', 'password')


def missing():
    """Why Glewlwyd cannot run here, or None."""
    if not W.which('glewlwyd'):
        return 'glewlwyd not installed (apt-get install glewlwyd)'
    for f in (SAMPLE, SCHEMA, '/usr/lib/glewlwyd/plugin/libprotocol_oidc.so'):
        if not os.path.exists(f):
            return '%s missing (apt-get install glewlwyd)' % f
    return None


def make_key(d, name, openssl='openssl'):
    key, pub = os.path.join(d, name + '.key'), os.path.join(d, name + '.pub')
    W.run([openssl, 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048',
           '-out', key])
    W.run([openssl, 'pkey', '-in', key, '-pubout', '-out', pub])
    with open(key) as f, open(pub) as g:
        return f.read(), g.read()


class Glewlwyd:
    def __init__(self, run, certs):
        self.certs = certs
        self.ctx = ssl.create_default_context(cafile=certs['ca'])
        self.dir = os.path.join(run, 'glewlwyd')
        os.makedirs(self.dir)
        self.db = os.path.join(self.dir, 'glewlwyd.db')
        con = sqlite3.connect(self.db)
        with gzip.open(SCHEMA, 'rt') as f:
            con.executescript(f.read())
        con.commit()
        con.close()
        self.cookie = None
        self.srv = W.retry_bind(self._start)

    def _start(self):
        self.port = W.free_port()
        self.base = 'https://127.0.0.1:%d' % self.port
        with gzip.open(SAMPLE, 'rt') as f:
            lines = f.read().splitlines()
        values = {'port': str(self.port), 'external_url': '"%s"' % self.base,
                  'cookie_secure': '0', 'cookie_domain': '"127.0.0.1"', 'log_mode': '"console"',
                  'log_level': '"INFO"', 'use_secure_connection': 'true',
                  'secure_connection_key_file': '"%s"' % self.certs['key'],
                  'secure_connection_pem_file': '"%s"' % self.certs['cert'],
                  'secure_connection_ca_file': '"%s"' % self.certs['ca']}
        out = []
        for ln in lines:
            key = ln.split('=', 1)[0].strip()
            if key in values and not ln.startswith('#'):
                ln = '%s=%s' % (key, values.pop(key))
            out.append(ln.replace('/var/cache/glewlwyd/glewlwyd.db', self.db))
        out += ['bind_address="127.0.0.1"'] + ['%s=%s' % kv for kv in values.items()]
        conf = os.path.join(self.dir, 'glewlwyd.conf')
        with open(conf, 'w') as f:
            f.write('\n'.join(out) + '\n')
        log = os.path.join(self.dir, 'glewlwyd.log')
        return W.Server('glewlwyd', [W.which('glewlwyd'), '-c', conf], log, ports=(self.port,))

    def call(self, method, path, body=None, form=None, auth=None):
        """(status, parsed JSON or bytes) of an API call; the admin session cookie is kept."""
        data, headers = None, {}
        if body is not None:
            data, headers['Content-Type'] = json.dumps(body).encode(), 'application/json'
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
        if auth:
            headers['Authorization'] = 'Basic ' + base64.b64encode(auth.encode()).decode()
        elif self.cookie:
            headers['Cookie'] = self.cookie
        req = urllib.request.Request(self.base + '/api' + path, data=data, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=20, context=self.ctx) as r:
                status, text, cookie = r.status, r.read(), r.headers.get('Set-Cookie')
        except urllib.error.HTTPError as e:
            status, text, cookie = e.code, e.read(), None
        if cookie:
            self.cookie = cookie.split(';')[0]
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def ok(self, method, path, body):
        st, doc = self.call(method, path, body)
        assert st == 200, 'glewlwyd %s %s: %s %r' % (method, path, st, doc)
        return doc

    def login(self):
        self.ok('POST', '/auth/', {'username': ADMIN[0], 'password': ADMIN[1]})

    def add_plugin(self, name, iss, key, cert, duration, resources):
        """An OpenID Connect plugin instance at /api/<name>: RS256 with key, client-credentials
        grant, access tokens valid `duration` seconds, resource indicators allowed."""
        params = {
            'iss': iss, 'jwt-type': 'rsa', 'jwt-key-size': '256', 'key': key, 'cert': cert,
            'access-token-duration': duration, 'refresh-token-duration': 1209600,
            'code-duration': 600, 'refresh-token-rolling': False, 'allow-non-oidc': True,
            'auth-type-code-enabled': False, 'auth-type-token-enabled': False,
            'auth-type-id-token-enabled': True, 'auth-type-none-enabled': False,
            'auth-type-password-enabled': False, 'auth-type-client-enabled': True,
            'auth-type-device-enabled': False, 'auth-type-refresh-enabled': False,
            'scope': [], 'claims': [], 'jwks-show': True,
            'allowed-scope': ['openid', 'opendcre.read', 'opendcre.write', 'other.scope'],
            'resource-allowed': True, 'resource-client-property': '',
            'resource-scope-and-client-property': False,
            'resource-scope': {s: resources for s in ('opendcre.read', 'opendcre.write',
                                                       'other.scope')},
        }
        self.ok('POST', '/mod/plugin/', {'module': 'oidc', 'name': name, 'display_name': name,
                                         'enabled': True, 'parameters': params})

    def add_scope(self, name):
        self.ok('POST', '/scope/', {'name': name, 'display_name': name, 'description': name,
                                    'password_required': False, 'scheme': {}})

    def add_client(self, client_id, secret, scopes):
        self.ok('POST', '/client/', {
            'client_id': client_id, 'name': client_id, 'confidential': True,
            'password': secret, 'enabled': True, 'redirect_uri': [],
            'authorization_type': ['client_credentials'],
            'token_endpoint_auth_method': ['client_secret_basic'], 'scope': scopes})

    def token(self, plugin, client_id, secret, scope, resource):
        """An access token by the client-credentials grant (client_secret_basic)."""
        st, doc = self.call('POST', '/%s/token' % plugin, auth='%s:%s' % (client_id, secret),
                            form={'grant_type': 'client_credentials', 'scope': scope,
                                  'resource': resource})
        assert st == 200 and doc.get('token_type', '').lower() == 'bearer', \
            'token for %s from %s: %s %r' % (client_id, plugin, st, doc)
        return doc['access_token']

    def jwks_uri(self, plugin):
        return '%s/api/%s/jwks' % (self.base, plugin)

    def stop(self):
        rc = self.srv.stop()
        return [] if rc in (0, None) else ['glewlwyd exited with %s' % rc]


def claims(token):
    """The payload of a JWT (no verification: for assertions on what the provider issued)."""
    p = token.split('.')[1]
    return json.loads(base64.urlsafe_b64decode(p + '=' * (-len(p) % 4)))


__all__ = ['Glewlwyd', 'claims', 'make_key', 'missing', 'H']
