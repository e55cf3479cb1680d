#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The service's own role checks (issue 15), on its FastCGI socket as a web server would call
it: OPENDCRE_ROLE viewer is refused every state change of the route table with 403 (the API's
JSON body, nothing run, the refusal audited), operator is not; no OPENDCRE_ROLE at all is the
unauthenticated loopback server (no restriction, as before); an unknown or empty value counts
as viewer. The web-server tests run the same checks through nginx, Apache and lighttpd."""

import json

import roles
import webtest as W
from webtest import H

R = H.Runner('web-roles')
W.need()


def main():
    h = W.start_harness('roles')
    try:
        def sender(role_of):
            def send(who, method, path, body):
                extra = {'REMOTE_USER': who}
                role = role_of(who)
                if role is not None:
                    extra['OPENDCRE_ROLE'] = role
                data = json.dumps(body).encode() if body is not None else b''
                if data:
                    extra['CONTENT_TYPE'] = 'application/json'
                r = H.fcgi_request(h.sock, path, method=method, extra=extra, body=data)
                return r.status, {k.lower(): v for k, v in r.headers}, r.body
            return send

        roles.check(R, 'FastCGI', sender(lambda who: who), h.svc_log, 'viewer', 'operator')

        def other_roles():
            ids = roles.redfish_ids(sender(lambda who: None))
            for role in ('admin', '', 'Operator', 'operator '):
                send = sender(lambda who: role)
                for method, path, body, _ in roles.change_requests(ids):
                    st, _, text = send('viewer', method, path, body)
                    roles.expect_refusal(st, text, path, 'role %r: %s %s' % (role, method, path))
                shown = {'': '-', 'operator ': r'operator\\x20'}.get(role, role)
                W.wait_audit(h.svc_log, r'user=viewer .* outcome=403 forbidden role=%s$' % shown)

        def no_role():
            send = sender(lambda who: None)
            st, _, text = send('nobody', 'GET', '/opendcre/1.3/led/rack_1/00000001/0002/off', None)
            assert st == 200 and json.loads(text) == {'led_state': 'off'}, (st, text)
            W.wait_audit(h.svc_log, roles.audit_rx('nobody', 'GET',
                                                   '/opendcre/1.3/led/rack_1/00000001/0002/off',
                                                   '200$'))
            ids = roles.redfish_ids(send)
            st, _, text = send('nobody', 'PATCH', '/redfish/v1/Chassis/' + ids['Chassis'],
                               {'IndicatorLED': 'Off'})
            assert st == 200, (st, text)

        R.check('an unknown role (admin), an empty one and near-misses of "operator" count as '
                'viewer', other_roles)
        R.check('no OPENDCRE_ROLE (the loopback server): state changes as before', no_role)
    except Exception as e:  # noqa: BLE001
        R.fail('set-up', e)
    finally:
        R.harness_problems(h.stop())
    R.finish()


if __name__ == '__main__':
    main()
