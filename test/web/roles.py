#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Viewers and operators (issue 15), shared by the web-server tests.

The requests that change state are made from the service's own route table (route_list
--effects, test/lint/route_list.c): every row whose effect is not "read" becomes one concrete
request on the demo data (PLC board 00000001 on rack_1: fan 0001, LED 0002, power 0003,
system 0004; the first Redfish System and Chassis). A table row added later is tried too, so
the web-server side cannot drift from it: the web servers only map a user to a role
(OPENDCRE_ROLE) and the service refuses by its table.

check(R, send, log, viewer, operator) runs the checks through one server: send(who, method,
path, body) -> (status, {header: value}, body bytes) with who 'viewer' or 'operator'; the
audit line must name the user given for each.
"""

import json
import os
import re
import subprocess

import webtest as W
from webtest import H

RACK, BOARD = 'rack_1', '00000001'
DEVICE = {'POWER': '0003', 'LED': '0002', 'FAN': '0001', 'BOOT_TARGET': '0004'}
VALUES = {'type': 'power', 'rack': RACK, 'board': BOARD, 'action': 'off', 'target': 'pxe',
          'state': 'on', 'color': 'ff0000', 'blink': 'steady', 'speed': '2000'}
RF_BODY = {'Chassis': {'IndicatorLED': 'Lit'},
           'Systems': {'Boot': {'BootSourceOverrideTarget': 'Pxe',
                                'BootSourceOverrideEnabled': 'Once'}},
           'ComputerSystem.Reset': {'ResetType': 'ForceOff'}}


def route_table():
    """[(effect, [methods], pattern)] of every row of the service's route table."""
    exe = os.path.join(H.BUILD, 'test', 'route_list')
    out = subprocess.run([exe, '--effects'], capture_output=True, text=True, check=True,
                         timeout=30).stdout
    rows = []
    for ln in out.splitlines():
        effect, methods, pattern = ln.split(' ')
        rows.append((effect, methods.split(','), pattern))
    assert len(rows) > 40 and any(r[0] != 'read' for r in rows), out
    return rows


def _fill(pattern, ids):
    op = pattern.split('/')[3].upper() if pattern.startswith('/opendcre/1.') else ''
    values = dict(VALUES, device=DEVICE.get(op, '0003'))
    if pattern.startswith('/redfish/'):
        values['board'] = ids['Chassis' if '/Chassis/' in pattern else 'Systems']
    if op == 'POWER' and '{action}' not in pattern:
        # the old-style URLs of api.md §6.5: the action in the board (1.2) or rack (1.3) place
        values['board' if '/1.2/' in pattern else 'rack'] = 'off'
        if '/1.2/' in pattern:
            values['device'] = BOARD
    return re.sub(r'\{(\w+)\}', lambda m: values[m.group(1)], pattern)


def change_requests(ids):
    """(method, path, body, row) of every state change the route table knows: each
    "change" and "change-unless-status" row with GET, each "change-on-write" row with PATCH
    and POST where it takes them."""
    out = []
    for effect, methods, pattern in route_table():
        if effect == 'read':
            continue
        path = _fill(pattern, ids)
        if effect == 'change-on-write':
            key = pattern.rsplit('.', 1)[-1] if 'Actions' in pattern else pattern.split('/')[3]
            key = 'ComputerSystem.Reset' if key == 'Reset' else key
            for m in ('PATCH', 'POST'):
                if m in methods:
                    out.append((m, path, RF_BODY[key], pattern))
        else:
            out.append(('GET', path, None, pattern))
    return out


def read_requests(ids):
    """Reads a viewer may do: the power rows with action status, scans, a sensor read, the
    metrics, Redfish GETs of the resources that take PATCH or POST."""
    out = [('GET', '/opendcre/1.3/scan', None), ('GET', '/opendcre/1.2/scan', None),
           ('GET', '/opendcre/1.3/read/thermistor/rack_1/00000001/01ff', None),
           ('GET', '/opendcre/1.2/read/thermistor/00000001/01ff', None),
           ('GET', '/opendcre/1.3/led/rack_1/00000001/0002', None),
           ('GET', '/opendcre/1.3/fan/rack_1/00000001/0001', None),
           ('GET', '/opendcre/1.3/boot_target/rack_1/00000001/0004', None),
           ('GET', '/opendcre/metrics', None),
           ('GET', '/redfish/v1/Chassis/' + ids['Chassis'], None),
           ('GET', '/redfish/v1/Systems/' + ids['Systems'], None),
           ('GET', '/redfish/v1/Chassis/%s/Thermal' % ids['Chassis'], None)]
    for effect, _, pattern in route_table():
        if effect == 'change-unless-status' and '{action}' in pattern:
            out.append(('GET', _fill(pattern, ids).rsplit('/', 1)[0] + '/status', None))
    return out


def redfish_ids(send):
    ids = {}
    for coll in ('Chassis', 'Systems'):
        st, _, body = send('operator', 'GET', '/redfish/v1/' + coll, None)
        assert st == 200, '%s: %s %r' % (coll, st, body[:300])
        members = json.loads(body)['Members']
        plc = [m['@odata.id'] for m in members if BOARD in m['@odata.id']] or \
            [m['@odata.id'] for m in members]
        ids[coll] = plc[0].rstrip('/').rsplit('/', 1)[1]
    return ids


def expect_refusal(status, body, path, what):
    assert status == 403, '%s: status %s, body %r' % (what, status, body[:300])
    doc = json.loads(body)
    if path.startswith('/redfish/'):
        ids = [m['MessageId'] for m in doc['error']['@Message.ExtendedInfo']]
        assert ids == ['Base.1.22.InsufficientPrivilege'], '%s: %r' % (what, doc)
        assert doc['error']['code'] == 'Base.1.22.InsufficientPrivilege', doc
    elif path.startswith('/opendcre/1.2/'):
        assert doc == {'message': '403: Forbidden'}, '%s: %r' % (what, doc)
    else:
        assert doc.get('http_code') == 403 and set(doc) == {'http_code', 'message'}, \
            '%s: %r' % (what, doc)


def audit_rx(user, method, path, outcome):
    return r'audit: user=%s method=%s route=%s board=\S+ device=\S+ outcome=%s' % (
        re.escape(user), method, re.escape(path), outcome)


def hardware_state(send):
    """What the viewer's refused requests would have changed, read as the operator."""
    out = {}
    for path in ('/opendcre/1.3/led/rack_1/00000001/0002',
                 '/opendcre/1.3/power/rack_1/00000001/0003/status',
                 '/opendcre/1.3/fan/rack_1/00000001/0001',
                 '/opendcre/1.3/boot_target/rack_1/00000001/0004'):
        st, _, body = send('operator', 'GET', path, None)
        assert st == 200, '%s: %s %r' % (path, st, body[:200])
        doc = json.loads(body)
        # of the power answer only the state: the emulated readings wander
        out[path] = {'power_status': doc['power_status']} if 'power_status' in doc else doc
    return out


def check(R, name, send, log, viewer, operator):
    """The role checks through one server; name prefixes the check names."""
    ids = {}

    def setup():
        ids.update(redfish_ids(send))
        assert change_requests(ids), 'no state-changing route in the table'

    R.check('%s: the state-changing routes of the route table (route_list --effects)' % name,
            setup)
    if not ids:
        return
    changes = change_requests(ids)
    before = {}

    def viewer_refused():
        before.update(hardware_state(send))
        n = len(W.audit_lines(log))
        for method, path, body, row in changes:
            st, _, text = send('viewer', method, path, body)
            expect_refusal(st, text, path, '%s %s (row %s)' % (method, path, row))
            W.wait_audit(log, audit_rx(viewer, method, path, r'403 forbidden role=viewer$'))
        assert len(W.audit_lines(log)) - n == len(changes), W.audit_lines(log)[n:]

    def viewer_changed_nothing():
        assert before, 'no state read before'
        after = hardware_state(send)
        assert after == before, 'a refused request changed the hardware: %r -> %r' % (before, after)

    def viewer_reads():
        for method, path, body in read_requests(ids):
            st, _, text = send('viewer', method, path, body)
            assert st == 200, 'viewer %s %s: %s %r' % (method, path, st, text[:300])

    def operator_allowed():
        for method, path, body, row in changes:
            st, _, text = send('operator', method, path, body)
            assert st != 403, 'operator %s %s (row %s): %r' % (method, path, row, text[:300])
            line = W.wait_audit(log, audit_rx(operator, method, path, r'(?!403 )\S+.*$'))
            assert 'role=' not in line, line
        # the plain forms change what the viewer could not
        for method, path, body, want in (
                ('GET', '/opendcre/1.3/led/rack_1/00000001/0002/on', None, {'led_state': 'on'}),
                ('GET', '/opendcre/1.3/power/rack_1/00000001/0003/on', None, None)):
            st, _, text = send('operator', method, path, body)
            assert st == 200, '%s: %s %r' % (path, st, text[:300])
            if want:
                assert json.loads(text) == want, text
            W.wait_audit(log, audit_rx(operator, method, path, '200$'))

    R.check('%s: a viewer gets 403 with the API\'s error body on every state-changing route '
            '(OpenDCRE 1.2/1.3, Redfish InsufficientPrivilege), each refusal audited with '
            'the user' % name, viewer_refused)
    R.check('%s: the viewer\'s refused requests changed nothing on the board' % name,
            viewer_changed_nothing)
    R.check('%s: a viewer reads (power status, scans, sensors, Redfish GET): 200' % name,
            viewer_reads)
    R.check('%s: an operator is not refused on any of them; audited with the user' % name,
            operator_allowed)


def curl_send(base, users, cacert=None, extra_for=None):
    """A send() for check(): curl to base with the user's credentials (users: who ->
    'name:password', or who -> list of extra curl arguments when extra_for is given)."""
    def send(who, method, path, body):
        extra = ['-X', method]
        if body is not None:
            extra += ['-H', 'Content-Type: application/json', '--data-binary', json.dumps(body)]
        if extra_for:
            extra += extra_for(who)
            user = None
        else:
            user = users[who]
        r = W.curl(base + path, cacert=cacert, user=user, extra=extra)
        assert r.rc == 0, r
        return r.status, {k.lower(): v for k, v in r.headers}, r.body
    return send
