#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A Redfish service for the project's own tests (spec/redfish-test-server.md).

Python standard library only. One process serves one BMC:

    rf_server.py --fixture single|multinode|blades [--cert PEM --key PEM] [--config JSON]

binds 127.0.0.1 on a free port (or --port) and prints `ready <port>` on stdout.

Behaviour follows what good services guarantee (DSP0266, bmcweb): /redfish and the service
root need no auth, everything else needs Basic or X-Auth-Token; sessions with an idle timeout;
OData-Version, Allow, Cache-Control, Link and a strong ETag (mirrored as @odata.etag) on
every answer that has them; If-Match enforced (412); Redfish error bodies with Base
MessageIds; HTTP/1.1 keep-alive with Content-Length.

Control endpoint (outside /redfish, no auth, never counted):
    GET  /_emulator/stats              counters: connections, logins, logouts, requests
    POST /_emulator/reset_stats        zero the counters
    POST /_emulator/options            merge {option: value} (see DEFAULT_OPTIONS)
    POST /_emulator/fault              add a fault {method, path, kind, count, ...}
    POST /_emulator/clear_faults
    POST /_emulator/expire_sessions    every session dies (the next request with it -> 401)
    GET  /_emulator/resource?path=P    a resource as stored, without side effects
    POST /_emulator/set                {"path": P, "merge": {...}} changes a resource

Fault kinds (per method and path, `count` times, -1 = persistent):
    delay {seconds}            answer late (then normally)
    close                      close the connection without an answer
    close_mid_body             send the head and half of the body, then close
    truncated                  200 with a cut JSON body
    status {status, body: redfish|html|empty|text, retry_after}
    redirect {status: 307|308, location}
    empty_page                 a collection page with no members and a nextLink to the real one

Hostile options (a service built to hold a client; -1 = without end):
    hostile_pages N            Systems, Chassis and Managers: N empty pages, each with a
                               Members@odata.nextLink to the next, before the real members
    hostile_chain N            the first chassis has no Thermal/Power but a Links.ContainedBy
                               chain of N more chassis; the last links the real Thermal/Power
    hostile_redirects N        every GET below /redfish/v1/ is first redirected (307) to itself
                               N times
    answer_delay S             every /redfish request answered S seconds late
    bad_utf8                   strings of the resources (PowerState, IndicatorLED, boot target,
                               asset fields, sensor names) carry bytes that are not UTF-8
"""

import argparse
import base64
import copy
import hashlib
import http.server
import json
import os
import secrets
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

BASE = 'Base.1.8.'

DEFAULT_OPTIONS = {
    'session_service': True,       # root links SessionService and Links.Sessions
    'session_post': 'normal',      # normal | absolute_location | no_body | no_token | 405 | 404
    'basic_auth': True,            # Basic accepted on every resource
    'idle_timeout': 1800,          # seconds a session may stay unused (SessionService.SessionTimeout)
    'reset_delay': 0.0,            # seconds PowerState stays PoweringOn/PoweringOff after a reset
    'reset_code': 200,             # 200 (Base.Success) | 204 | 202 (task monitor)
    'task_seconds': 0.5,           # a 202 task runs this long
    'patch_code': 204,             # 204 | 200
    'mixed_patch': 'apply_good',   # apply_good (200 + messages) | apply_none (400)
    'legacy_fans': False,          # Thermal Fans with FanName/ReadingRPM (Thermal v1.0)
    'page_size': 0,                # > 0: collections paged with Members@odata.nextLink
    'redfish_root': True,          # False: /redfish answers 404 (clients fall back to /redfish/v1)
    'hostile_pages': 0,            # see "Hostile options" above
    'hostile_chain': 0,
    'hostile_redirects': 0,
    'answer_delay': 0.0,
    'bad_utf8': False,
}

# bad_utf8: markers put into strings, replaced by raw bytes when the answer is sent
BAD_BYTES = ((b'%%FF%%', b'\xff'), (b'%%C0%%', b'\xc0'), (b'%%FE%%', b'\xfe'))

USERS = {
    'admin': ('secret', 'Administrator'),
    'operator': ('opsecret', 'Operator'),
    'reader': ('rosecret', 'ReadOnly'),
}


# ------------------------------------------------------------------------------------------
# fixtures

def _link(p):
    return {'@odata.id': p}


def _status(health='OK', state='Enabled'):
    s = {'State': state, 'Health': health}
    if health is None:
        s['Health'] = None
    return s


def _root(sessions_path):
    return {
        '@odata.type': '#ServiceRoot.v1_5_0.ServiceRoot',
        'Id': 'RootService', 'Name': 'Root Service', 'RedfishVersion': '1.6.0',
        'UUID': '92384634-2938-2342-8820-489239905423',
        'Systems': _link('/redfish/v1/Systems'),
        'Chassis': _link('/redfish/v1/Chassis'),
        'Managers': _link('/redfish/v1/Managers'),
        'SessionService': _link('/redfish/v1/SessionService'),
        'AccountService': _link('/redfish/v1/AccountService'),
        'TaskService': _link('/redfish/v1/TaskService'),
        'Links': {'Sessions': _link(sessions_path)},
    }


def _system(sid, chassis, manager, serial, model='RS-100', indicator=True):
    p = '/redfish/v1/Systems/' + sid
    s = {
        '@odata.type': '#ComputerSystem.v1_13_0.ComputerSystem',
        'Id': sid, 'Name': 'System ' + sid, 'SystemType': 'Physical',
        'Manufacturer': 'Example Corp', 'Model': model, 'SerialNumber': serial,
        'PartNumber': 'PN-' + serial, 'SKU': 'SKU-1', 'UUID': '38947555-7742-3448-3784-823347823834',
        'BiosVersion': 'P79 v1.45', 'PowerState': 'On', 'AssetTag': '',
        'Status': _status(),
        'Boot': {
            'BootSourceOverrideEnabled': 'Once', 'BootSourceOverrideMode': 'UEFI',
            'BootSourceOverrideTarget': 'None',
            'BootSourceOverrideTarget@Redfish.AllowableValues':
                ['None', 'Pxe', 'Floppy', 'Cd', 'Usb', 'Hdd', 'BiosSetup', 'UefiShell'],
        },
        'Links': {'Chassis': [_link(chassis)], 'ManagedBy': [_link(manager)]},
        'Actions': {'#ComputerSystem.Reset': {
            'target': p + '/Actions/ComputerSystem.Reset',
            '@Redfish.ActionInfo': p + '/ResetActionInfo'}},
    }
    if indicator:
        s['IndicatorLED'] = 'Off'
    return s


def _reset_info(sid):
    return {
        '@odata.type': '#ActionInfo.v1_1_2.ActionInfo', 'Id': 'ResetActionInfo',
        'Name': 'Reset Action Info',
        'Parameters': [{'Name': 'ResetType', 'Required': True, 'DataType': 'String',
                        'AllowableValues': ['On', 'ForceOff', 'GracefulShutdown', 'GracefulRestart',
                                            'ForceRestart', 'PowerCycle', 'Nmi']}],
    }


def _manager(mid, model, fw):
    return {'@odata.type': '#Manager.v1_10_0.Manager', 'Id': mid, 'Name': 'Manager ' + mid,
            'ManagerType': 'BMC', 'Model': model, 'FirmwareVersion': fw,
            'UUID': '58893887-8974-2487-2389-841168418919', 'Status': _status()}


def _common(res, sessions_path):
    res['/redfish/v1'] = _root(sessions_path)
    res['/redfish/v1/SessionService'] = {
        '@odata.type': '#SessionService.v1_1_8.SessionService', 'Id': 'SessionService',
        'Name': 'Session Service', 'ServiceEnabled': True, 'SessionTimeout': 1800,
        'Sessions': _link(sessions_path)}
    res['/redfish/v1/AccountService'] = {
        '@odata.type': '#AccountService.v1_10_0.AccountService', 'Id': 'AccountService',
        'Name': 'Account Service', 'Accounts': _link('/redfish/v1/AccountService/Accounts')}
    res['/redfish/v1/TaskService'] = {
        '@odata.type': '#TaskService.v1_1_5.TaskService', 'Id': 'TaskService', 'Name': 'Task Service',
        'Tasks': _link('/redfish/v1/TaskService/Tasks')}


def fixture_single():
    """Topology 1: one rackmount server: one system, one chassis with Thermal and Power (with
    IndicatorLED), one manager. Readings with null, 0 RPM Critical, Warning and duplicate names."""
    res = {}
    sessions = '/redfish/v1/SessionService/Sessions'
    _common(res, sessions)
    res['/redfish/v1/Systems/1'] = _system('1', '/redfish/v1/Chassis/1', '/redfish/v1/Managers/1', 'SYS0001')
    res['/redfish/v1/Systems/1/ResetActionInfo'] = _reset_info('1')
    res['/redfish/v1/Chassis/1'] = {
        '@odata.type': '#Chassis.v1_14_0.Chassis', 'Id': '1', 'Name': 'Computer System Chassis',
        'ChassisType': 'RackMount', 'Manufacturer': 'Example Corp', 'Model': 'RS-100 Chassis',
        'SerialNumber': 'CH0001', 'PartNumber': 'PN-CH-100', 'AssetTag': 'AT-0001',
        'IndicatorLED': 'Off', 'Status': _status(),
        'Thermal': _link('/redfish/v1/Chassis/1/Thermal'),
        'Power': _link('/redfish/v1/Chassis/1/Power'),
        'Links': {'ComputerSystems': [_link('/redfish/v1/Systems/1')],
                  'ManagedBy': [_link('/redfish/v1/Managers/1')]},
    }
    res['/redfish/v1/Chassis/1/Thermal'] = {
        '@odata.type': '#Thermal.v1_6_0.Thermal', 'Id': 'Thermal', 'Name': 'Thermal',
        'Temperatures': [
            {'MemberId': '0', 'Name': 'CPU1 Temp', 'ReadingCelsius': 38, 'UpperThresholdCritical': 90,
             'UpperThresholdFatal': 100, 'Status': _status()},
            {'MemberId': '1', 'Name': 'Inlet Temp', 'ReadingCelsius': None, 'Status': _status(None, 'Absent')},
            {'MemberId': '2', 'Name': 'Exhaust Temp', 'ReadingCelsius': 61.5, 'UpperThresholdNonCritical': 60,
             'Status': _status('Warning')},
        ],
        'Fans': [
            {'MemberId': '0', 'Name': 'Fan 1', 'Reading': 2350, 'ReadingUnits': 'RPM', 'Status': _status()},
            {'MemberId': '1', 'Name': 'Fan 2', 'Reading': 0, 'ReadingUnits': 'RPM',
             'LowerThresholdCritical': 500, 'Status': _status('Critical')},
            {'MemberId': '2', 'Name': 'Sys Fan', 'Reading': 4100, 'ReadingUnits': 'RPM', 'Status': _status()},
            {'MemberId': '3', 'Name': 'Sys Fan', 'Reading': 4200, 'ReadingUnits': 'RPM', 'Status': _status()},
        ],
    }
    res['/redfish/v1/Chassis/1/Power'] = {
        '@odata.type': '#Power.v1_6_0.Power', 'Id': 'Power', 'Name': 'Power',
        'PowerControl': [{'MemberId': '0', 'Name': 'System Power Control', 'PowerConsumedWatts': 344,
                          'PowerLimit': {'LimitInWatts': 500}, 'Status': _status()}],
        'Voltages': [
            {'MemberId': '0', 'Name': 'P12V', 'ReadingVolts': 12.06, 'Status': _status()},
            {'MemberId': '1', 'Name': 'P3V3', 'ReadingVolts': 3.31, 'Status': _status()},
        ],
        'PowerSupplies': [
            {'MemberId': '0', 'Name': 'PSU1', 'LastPowerOutputWatts': 172, 'LineInputVoltage': 230,
             'PowerCapacityWatts': 800, 'Status': _status()},
            {'MemberId': '1', 'Name': 'PSU2', 'LastPowerOutputWatts': 0, 'LineInputVoltage': 0,
             'PowerCapacityWatts': 800, 'Status': _status('Critical', 'UnavailableOffline')},
        ],
    }
    res['/redfish/v1/Managers/1'] = _manager('1', 'ExampleBMC 2', '2.10.0')
    colls = {'/redfish/v1/Systems': ['/redfish/v1/Systems/1'],
             '/redfish/v1/Chassis': ['/redfish/v1/Chassis/1'],
             '/redfish/v1/Managers': ['/redfish/v1/Managers/1']}
    return res, colls, sessions


def fixture_multinode():
    """Topology 3 (+4): a rack chassis listed first (Power, no Thermal), two node chassis
    (Thermal, no Power, LocationIndicatorActive and no IndicatorLED) contained by it; the
    systems' Links.Chassis name the nodes; dotted Ids; sessions at /redfish/v1/Sessions."""
    res = {}
    sessions = '/redfish/v1/Sessions'
    _common(res, sessions)
    rack = '/redfish/v1/Chassis/Rack.1'
    nodes = ['/redfish/v1/Chassis/Node.1', '/redfish/v1/Chassis/Node.2']
    systems = ['/redfish/v1/Systems/System.Node.1', '/redfish/v1/Systems/System.Node.2']
    mgr = '/redfish/v1/Managers/Manager.Rack'
    res[rack] = {
        '@odata.type': '#Chassis.v1_14_0.Chassis', 'Id': 'Rack.1', 'Name': 'Rack',
        'ChassisType': 'Rack', 'Manufacturer': 'Example Corp', 'Model': 'MN-4',
        'SerialNumber': 'RACK0001', 'PartNumber': 'PN-RACK', 'AssetTag': 'RACK-TAG',
        'Status': _status(), 'Power': _link(rack + '/Power'),
        'Links': {'Contains': [_link(n) for n in nodes], 'ComputerSystems': [_link(s) for s in systems],
                  'ManagedBy': [_link(mgr)]},
    }
    res[rack + '/Power'] = {
        '@odata.type': '#Power.v1_6_0.Power', 'Id': 'Power', 'Name': 'Rack Power',
        'PowerControl': [{'MemberId': '0', 'Name': 'Rack Power Control', 'PowerConsumedWatts': 688,
                          'PowerLimit': {'LimitInWatts': None}, 'Status': _status('Warning')}],
        'Voltages': [{'MemberId': '0', 'Name': 'Rack 48V', 'ReadingVolts': 48.2, 'Status': _status()}],
        'PowerSupplies': [
            {'MemberId': '0', 'Name': 'Shelf PSU', 'PowerCapacityWatts': 3000, 'Status': _status()},
            {'MemberId': '1', 'Name': 'Shelf PSU', 'PowerCapacityWatts': 3000, 'Status': _status('Warning')},
        ],
    }
    for i, (n, s) in enumerate(zip(nodes, systems), 1):
        res[n] = {
            '@odata.type': '#Chassis.v1_14_0.Chassis', 'Id': 'Node.%d' % i, 'Name': 'Node %d' % i,
            'ChassisType': 'Sled', 'Manufacturer': 'Example Corp', 'Model': 'MN-Node',
            'SerialNumber': 'NODE000%d' % i, 'PartNumber': 'PN-NODE', 'AssetTag': 'NODE-TAG-%d' % i,
            'LocationIndicatorActive': False, 'Status': _status(),
            'Thermal': _link(n + '/Thermal'),
            'Links': {'ContainedBy': _link(rack), 'ComputerSystems': [_link(s)], 'ManagedBy': [_link(mgr)]},
        }
        res[n + '/Thermal'] = {
            '@odata.type': '#Thermal.v1_6_0.Thermal', 'Id': 'Thermal', 'Name': 'Thermal',
            'Temperatures': [
                {'MemberId': '0', 'Name': 'Node Temp', 'ReadingCelsius': 40 + i, 'Status': _status()},
                {'MemberId': '1', 'Name': 'DIMM Temp', 'ReadingCelsius': 95.25,
                 'UpperThresholdCritical': 90, 'Status': _status('Critical')},
            ],
            'Fans': [
                {'MemberId': '0', 'Name': 'Node Fan', 'Reading': 5000 + i, 'ReadingUnits': 'RPM',
                 'Status': _status()},
            ],
        }
        sid = 'System.Node.%d' % i
        res[s] = _system(sid, n, mgr, 'NODESYS%d' % i, model='MN-Node-Server', indicator=False)
        res[s]['LocationIndicatorActive'] = False
        res[s + '/ResetActionInfo'] = _reset_info(sid)
    res[mgr] = _manager('Manager.Rack', 'RackManager 5', '5.1.2')
    colls = {'/redfish/v1/Systems': systems, '/redfish/v1/Chassis': [rack] + nodes,
             '/redfish/v1/Managers': [mgr]}
    return res, colls, sessions


def fixture_blades():
    """Topology 2: an enclosure with Power and fans, blade chassis with Thermal only, linked by
    ContainedBy; the system's Links.Chassis names the blade."""
    res = {}
    sessions = '/redfish/v1/SessionService/Sessions'
    _common(res, sessions)
    enc = '/redfish/v1/Chassis/Enclosure'
    blade = '/redfish/v1/Chassis/Blade1'
    system = '/redfish/v1/Systems/Blade1'
    mgr = '/redfish/v1/Managers/EM'
    res[enc] = {
        '@odata.type': '#Chassis.v1_14_0.Chassis', 'Id': 'Enclosure', 'Name': 'Enclosure',
        'ChassisType': 'Enclosure', 'SerialNumber': 'ENC1', 'IndicatorLED': 'Off', 'Status': _status(),
        'Power': _link(enc + '/Power'), 'Links': {'Contains': [_link(blade)]},
    }
    res[enc + '/Power'] = {
        '@odata.type': '#Power.v1_6_0.Power', 'Id': 'Power', 'Name': 'Power',
        'PowerControl': [{'MemberId': '0', 'PowerConsumedWatts': 1200, 'PowerLimit': {'LimitInWatts': 1000},
                          'Status': _status()}],
    }
    res[blade] = {
        '@odata.type': '#Chassis.v1_14_0.Chassis', 'Id': 'Blade1', 'Name': 'Blade 1',
        'ChassisType': 'Blade', 'SerialNumber': 'BLD1', 'IndicatorLED': 'Blinking', 'Status': _status(),
        'Thermal': _link(blade + '/Thermal'), 'Links': {'ContainedBy': _link(enc)},
    }
    res[blade + '/Thermal'] = {
        '@odata.type': '#Thermal.v1_6_0.Thermal', 'Id': 'Thermal', 'Name': 'Thermal',
        'Temperatures': [{'MemberId': '0', 'Name': 'Blade Temp', 'ReadingCelsius': 33, 'Status': _status()}],
    }
    res[system] = _system('Blade1', blade, mgr, 'BLDSYS1', model='Blade-1')
    res[system + '/ResetActionInfo'] = _reset_info('Blade1')
    res[mgr] = _manager('EM', 'EnclosureManager', '1.0.0')
    colls = {'/redfish/v1/Systems': [system], '/redfish/v1/Chassis': [enc, blade],
             '/redfish/v1/Managers': [mgr]}
    return res, colls, sessions


FIXTURES = {'single': fixture_single, 'multinode': fixture_multinode, 'blades': fixture_blades}

# properties a PATCH may change, per resource type
SYSTEM_WRITABLE = {'Boot', 'IndicatorLED', 'LocationIndicatorActive', 'AssetTag'}
CHASSIS_WRITABLE = {'IndicatorLED', 'LocationIndicatorActive', 'AssetTag'}
SYSTEM_READONLY = {'PowerState', 'Manufacturer', 'Model', 'SerialNumber', 'PartNumber', 'SKU', 'UUID',
                   'BiosVersion', 'Links', 'Actions', 'Id', 'Name', 'Status', 'SystemType'}
CHASSIS_READONLY = {'ChassisType', 'Manufacturer', 'Model', 'SerialNumber', 'PartNumber', 'Links',
                    'Thermal', 'Power', 'Id', 'Name', 'Status'}


def message(msg_id, text, args=(), severity='Critical', resolution='None.'):
    return {'@odata.type': '#Message.v1_1_1.Message', 'MessageId': BASE + msg_id, 'Message': text,
            'MessageArgs': list(args), 'MessageSeverity': severity, 'Resolution': resolution}


def error_body(msg_id, text, args=(), resolution='None.'):
    return {'error': {'code': BASE + 'GeneralError',
                      'message': 'A general error has occurred. See ExtendedInfo for more information.',
                      '@Message.ExtendedInfo': [message(msg_id, text, args, resolution=resolution)]}}


class Reply(Exception):
    """An answer decided deep in the handling."""

    def __init__(self, status, body=None, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or []


# ------------------------------------------------------------------------------------------
# the service state

class Service:
    def __init__(self, fixture, options):
        self.lock = threading.RLock()
        self.fixture = fixture
        self.res, self.colls, self.sessions_path = FIXTURES[fixture]()
        self.options = dict(DEFAULT_OPTIONS)
        self.options.update(options or {})
        self.sessions = {}          # token -> {'id', 'user', 'last', 'path'}
        self.next_session = 1
        self.tasks = {}             # id -> {'done_at', 'system', 'reset_type', 'applied'}
        self.next_task = 1
        self.pending = {}           # system path -> (final state, at)
        self.faults = []
        self.port = 0
        self.https = False
        self.reset_stats()

    def reset_stats(self):
        with self.lock:
            self.stats = {'connections': 0, 'logins': 0, 'login_attempts': 0, 'logouts': 0,
                          'tls_failures': 0, 'requests': []}

    # ---- helpers
    def opt(self, k):
        return self.options[k]

    def system_paths(self):
        return [p for p in self.res if p.startswith('/redfish/v1/Systems/') and p.count('/') == 4]

    def settle(self):
        """Apply power transitions whose delay has passed."""
        now = time.monotonic()
        for t in self.tasks.values():
            if not t['applied'] and now >= t['done_at']:
                t['applied'] = True
                self.apply_reset(t['system'], t['reset_type'])
        for p, (state, at) in list(self.pending.items()):
            if now >= at:
                self.res[p]['PowerState'] = state
                del self.pending[p]

    def apply_reset(self, sys_path, rt):
        s = self.res[sys_path]
        final = {'On': 'On', 'ForceOn': 'On', 'ForceOff': 'Off', 'GracefulShutdown': 'Off',
                 'ForceRestart': 'On', 'GracefulRestart': 'On', 'PowerCycle': 'On'}.get(rt)
        if final is None:           # Nmi, PushPowerButton...: no state change here
            return
        delay = float(self.opt('reset_delay'))
        if delay > 0:
            s['PowerState'] = 'PoweringOn' if final == 'On' else 'PoweringOff'
            self.pending[sys_path] = (final, time.monotonic() + delay)
        else:
            s['PowerState'] = final
            self.pending.pop(sys_path, None)

    def view(self, path):
        """The resource as served (dynamic parts filled in), without @odata.etag."""
        self.settle()
        if path == self.sessions_path:
            return self.collection_view(path, [s['path'] for s in self.sessions.values()],
                                        '#SessionCollection.SessionCollection', 'Session Collection')
        if path in self.colls:
            return None                          # collections are paged by the caller
        r = self.res.get(path)
        if r is None and self.opt('hostile_chain') and path.startswith('/redfish/v1/Chassis/Up'):
            r = self.chain_link(path)
        if r is None:
            for s in self.sessions.values():
                if s['path'] == path:
                    return {'@odata.id': path, '@odata.type': '#Session.v1_3_0.Session', 'Id': s['id'],
                            'Name': 'User Session', 'UserName': s['user']}
            return None
        r = copy.deepcopy(r)
        r['@odata.id'] = path
        if path.endswith('/Power'):
            chassis = self.res.get(path[:-len('/Power')], {})
            sysl = [x['@odata.id'] for x in chassis.get('Links', {}).get('ComputerSystems', [])]
            if sysl and all(self.res.get(p, {}).get('PowerState') == 'Off' for p in sysl):
                for pc in r.get('PowerControl', []):
                    if pc.get('PowerConsumedWatts') is not None:
                        pc['PowerConsumedWatts'] = 0
        chain = int(self.opt('hostile_chain'))
        first = (self.colls.get('/redfish/v1/Chassis') or [None])[0]
        if chain and path == first:
            r.pop('Thermal', None)
            r.pop('Power', None)
            r.setdefault('Links', {})['ContainedBy'] = _link('/redfish/v1/Chassis/Up1')
        if self.opt('bad_utf8'):
            self.spoil(r)
        if path.endswith('/Thermal') and self.opt('legacy_fans'):
            for f in r.get('Fans', []):
                f['FanName'] = f.pop('Name')
                f['ReadingRPM'] = f.pop('Reading')
                f.pop('ReadingUnits', None)
        return r

    def chain_link(self, path):
        """Chassis UpK of the hostile ContainedBy chain."""
        try:
            k = int(path[len('/redfish/v1/Chassis/Up'):])
        except ValueError:
            return None
        n = int(self.opt('hostile_chain'))
        if k < 1 or (n >= 0 and k > n):
            return None
        c = {'@odata.type': '#Chassis.v1_14_0.Chassis', 'Id': 'Up%d' % k, 'Name': 'Enclosure %d' % k,
             'ChassisType': 'Enclosure', 'Status': _status(), 'Links': {}}
        if n < 0 or k < n:
            c['Links']['ContainedBy'] = _link('/redfish/v1/Chassis/Up%d' % (k + 1))
        else:
            real = self.res[self.colls['/redfish/v1/Chassis'][0]]
            for key in ('Thermal', 'Power'):
                if key in real:
                    c[key] = real[key]
        return c

    @staticmethod
    def spoil(r):
        """bad_utf8: the strings a client copies into its answers get non-UTF-8 bytes."""
        for k in ('PowerState', 'Manufacturer', 'SerialNumber', 'IndicatorLED', 'Model'):
            if isinstance(r.get(k), str):
                v = r[k]
                r[k] = v[:1] + '%%FF%%' + v[1:] + '%%C0%%'
        boot = r.get('Boot')
        if isinstance(boot, dict) and isinstance(boot.get('BootSourceOverrideTarget'), str):
            boot['BootSourceOverrideTarget'] += '%%FE%%'
        for arr in ('Temperatures', 'Fans', 'Voltages', 'PowerSupplies'):
            for e in r.get(arr) or []:
                if isinstance(e.get('Name'), str):
                    e['Name'] += ' %%FF%%'
                if isinstance(e.get('Status'), dict) and isinstance(e['Status'].get('Health'), str):
                    e['Status']['Health'] += '%%C0%%'

    def collection_view(self, path, members, otype=None, name=None, skip=0, empty_page=False):
        size = int(self.opt('page_size'))
        body = {'@odata.id': path, '@odata.type': otype or '#%sCollection.%sCollection' % ((path.rsplit('/', 1)[1],) * 2),
                'Name': name or path.rsplit('/', 1)[1] + ' Collection',
                'Members@odata.count': len(members)}
        if empty_page:
            body['Members'] = []
            body['Members@odata.nextLink'] = path + '?$skip=0&page=real'
            return body
        page = members[skip:skip + size] if size > 0 else members[skip:]
        body['Members'] = [_link(m) for m in page]
        if size > 0 and skip + size < len(members):
            body['Members@odata.nextLink'] = '%s?$skip=%d' % (path, skip + size)
        return body

    @staticmethod
    def etag_of(body):
        h = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()[:20]
        return '"%s"' % h

    def current_etag(self, path):
        v = self.view(path)
        return None if v is None else self.etag_of(v)

    # ---- faults
    def take_fault(self, method, path):
        with self.lock:
            for f in self.faults:
                if f.get('method', '*') not in ('*', method):
                    continue
                if f.get('path') not in (None, path):
                    continue
                if f.get('count', 1) == 0:
                    continue
                if f.get('count', 1) > 0:
                    f['count'] = f.get('count', 1) - 1
                return dict(f)
        return None


# ------------------------------------------------------------------------------------------
# HTTP

def norm_path(raw):
    path = urllib.parse.urlsplit(raw).path
    path = urllib.parse.unquote(path)
    if path != '/' and path.endswith('/') and path != '/redfish/v1/':
        path = path.rstrip('/')
    return path


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'rf-test-server/1.0'
    timeout = 120                 # an idle keep-alive connection is dropped after this

    def setup(self):
        super().setup()
        self.counted = False
        self.svc = self.server.service

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write('rf_server: %s\n' % (fmt % args))

    # ---- plumbing
    def body_bytes(self):
        n = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(n) if n > 0 else b''

    def send(self, status, body=None, headers=(), allow=None, etag=None, raw=None, ctype=None):
        if raw is not None:
            data = raw
        elif body is None:
            data = b''
        else:
            data = json.dumps(body, indent=1, sort_keys=True).encode()
        if self.svc.opt('bad_utf8'):
            for marker, raw_byte in BAD_BYTES:
                data = data.replace(marker, raw_byte)
        self.send_response(status)
        self.send_header('OData-Version', '4.0')
        if raw is not None or body is not None:
            self.send_header('Content-Type', ctype or 'application/json;charset=utf-8')
        self.send_header('Cache-Control', 'no-cache')
        self.send_header('Link', '</redfish/v1/JsonSchemas/%s>;rel=describedby' % 'Resource')
        if allow:
            self.send_header('Allow', allow)
        if etag:
            self.send_header('ETag', etag)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(data)))
        # head and body in one write: no Nagle / delayed-ACK stall between them
        self._headers_buffer.append(b'\r\n')
        if self.command != 'HEAD':
            self._headers_buffer.append(data)
        self.flush_headers()

    def record(self):
        """The request's entry in the stats, made when it arrives (status 0 until answered)."""
        rec = {'method': self.command, 'path': self.path, 'auth': 'none', 'user': None,
               'if_match': self.headers.get('If-Match'), 'conn': id(self), 'status': 0,
               'authorization': bool(self.headers.get('Authorization')),
               'token': bool(self.headers.get('X-Auth-Token'))}
        with self.svc.lock:
            reqs = self.svc.stats['requests']
            reqs.append(rec)
            if len(reqs) > 20000:
                del reqs[:10000]
        return rec

    # ---- dispatch
    def do_GET(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def dispatch(self):
        path = norm_path(self.path)
        if path.startswith('/_emulator/'):
            return self.control(path)
        if not self.counted:
            self.counted = True
            with self.svc.lock:
                self.svc.stats['connections'] += 1
        body = self.body_bytes()
        auth, user = 'none', None
        status = 0
        rec = self.record()
        try:
            if path.startswith('/redfish') and float(self.svc.opt('answer_delay')) > 0:
                time.sleep(float(self.svc.opt('answer_delay')))
            fault = self.svc.take_fault(self.command, path)
            self.hostile_redirect(path)
            if fault and fault['kind'] == 'delay':
                time.sleep(float(fault.get('seconds', 1)))
                fault = None
            if fault and fault['kind'] == 'close':
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault and fault['kind'] == 'status':
                raise self.fault_status(fault)
            if fault and fault['kind'] == 'redirect':
                raise Reply(int(fault.get('status', 307)), None,
                            [('Location', fault['location'])])
            with self.svc.lock:
                auth, user, status, out = self.handle_redfish(path, body, fault)
            self.send(status, **out)
        except Reply as r:
            status = r.status
            allow = None
            for k, v in r.headers:
                if k == 'Allow':
                    allow = v
            hdrs = [(k, v) for k, v in r.headers if k != 'Allow']
            if isinstance(r.body, bytes):
                self.send(r.status, raw=r.body, headers=hdrs, allow=allow,
                          ctype=getattr(r, 'ctype', None))
            else:
                self.send(r.status, r.body, headers=hdrs, allow=allow)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with self.svc.lock:
                rec.update(auth=auth, user=user, status=status)

    def hostile_redirect(self, path):
        """hostile_redirects: a GET below /redfish/v1/ is sent to itself (307) N times."""
        n = int(self.svc.opt('hostile_redirects'))
        if not n or self.command != 'GET' or not path.startswith('/redfish/v1/') or \
                path == '/redfish/v1/':
            return
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        k = int((q.get('hr') or ['0'])[0])
        if n < 0 or k < n:
            q['hr'] = [str(k + 1)]
            raise Reply(307, None, [('Location', path + '?' + urllib.parse.urlencode(q, doseq=True))])

    def fault_status(self, f):
        st = int(f.get('status', 500))
        kind = f.get('body', 'redfish')
        hdrs = []
        if f.get('retry_after') is not None:
            hdrs.append(('Retry-After', str(f['retry_after'])))
        if kind == 'html':
            r = Reply(st, b'<html><body><h1>%d Internal Server Error</h1></body></html>' % st, hdrs)
            r.ctype = 'text/html'
            return r
        if kind == 'empty':
            return Reply(st, None, hdrs)
        if kind == 'text':
            r = Reply(st, b'Service temporarily unavailable\n', hdrs)
            r.ctype = 'text/plain'
            return r
        mid = {503: 'ServiceTemporarilyUnavailable', 412: 'PreconditionFailed',
               404: 'ResourceNotFound'}.get(st, 'InternalError')
        args = [str(f.get('retry_after', ''))] if st == 503 else []
        text = {503: 'The service is temporarily unavailable.  Retry in %s seconds.' % f.get('retry_after', ''),
                412: 'The ETag supplied did not match the ETag required to change this resource.',
                404: 'The requested resource of type Resource named %s was not found.' % self.path
                }.get(st, 'The request failed due to an internal service error.  The service is still operational.')
        return Reply(st, error_body(mid, text, args), hdrs)

    # ---- /redfish
    def authenticate(self):
        """('token'|'basic', user) or raise 401."""
        svc = self.svc
        tok = self.headers.get('X-Auth-Token')
        if tok:
            s = svc.sessions.get(tok)
            now = time.monotonic()
            if s and now - s['last'] > float(svc.opt('idle_timeout')):
                del svc.sessions[tok]
                s = None
            if s:
                s['last'] = now
                return 'token', s['user']
            raise self.unauthorized()
        a = self.headers.get('Authorization')
        if a and a.startswith('Basic ') and svc.opt('basic_auth'):
            try:
                u, _, p = base64.b64decode(a[6:]).decode().partition(':')
            except Exception:
                raise self.unauthorized()
            if u in USERS and USERS[u][0] == p:
                return 'basic', u
        raise self.unauthorized()

    def unauthorized(self):
        return Reply(401, error_body('NoValidSession',
                                     'There is no valid session established with the implementation.',
                                     resolution='Establish a session before attempting any operations.'),
                     [('WWW-Authenticate', 'Basic realm="Redfish"')])

    def check_headers(self, body_expected):
        acc = self.headers.get('Accept')
        if acc and 'json' not in acc and '*/*' not in acc and 'application/*' not in acc:
            raise Reply(406, error_body('GeneralError', 'The requested media type is not acceptable.'))
        ov = self.headers.get('OData-Version')
        if ov is not None and ov.strip() != '4.0':
            raise Reply(412, error_body('PreconditionFailed', 'Unsupported OData-Version %s.' % ov))
        if body_expected:
            ct = (self.headers.get('Content-Type') or '').split(';')[0].strip().lower()
            if ct != 'application/json':
                raise Reply(415, error_body('GeneralError',
                                            'The request specified a media type that is not supported.'))

    def handle_redfish(self, path, body, fault):
        svc = self.svc
        m = self.command
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if path == '/redfish':
            if m not in ('GET', 'HEAD'):
                raise Reply(405, error_body('OperationNotAllowed', 'Operation not allowed.'),
                            [('Allow', 'GET, HEAD')])
            if not svc.opt('redfish_root'):
                raise Reply(404, error_body('ResourceNotFound', 'Not found.'))
            return 'none', None, 200, {'body': {'v1': '/redfish/v1/'}, 'allow': 'GET, HEAD'}
        self.check_headers(m in ('POST', 'PATCH'))
        if path in ('/redfish/v1', '/redfish/v1/'):
            if m not in ('GET', 'HEAD'):
                raise Reply(405, error_body('OperationNotAllowed', 'Operation not allowed.'),
                            [('Allow', 'GET, HEAD')])
            root = svc.view('/redfish/v1')
            if not svc.opt('session_service'):
                root.pop('SessionService', None)
                root.pop('Links', None)
            return self.get_answer('none', None, root, fault)
        if path == svc.sessions_path and m == 'POST':
            return self.login(body)
        auth, user = self.authenticate()
        if m in ('POST', 'PATCH', 'DELETE', 'PUT') and USERS.get(user, ('', ''))[1] == 'ReadOnly':
            raise Reply(403, error_body('InsufficientPrivilege',
                                        'There are insufficient privileges for the account or credentials '
                                        'associated with the current session to perform the requested operation.'))
        if m == 'DELETE':
            return self.logout(auth, user, path)
        if path.startswith('/redfish/v1/TaskService/TaskMonitors/'):
            return self.task_monitor(auth, user, path)
        if path.endswith('/Actions/ComputerSystem.Reset'):
            if m != 'POST':
                raise Reply(405, error_body('OperationNotAllowed', 'Operation not allowed.'),
                            [('Allow', 'POST')])
            return self.reset(auth, user, path[:-len('/Actions/ComputerSystem.Reset')], body)
        if path in svc.colls:
            if m not in ('GET', 'HEAD'):
                raise Reply(405, error_body('OperationNotAllowed', 'Operation not allowed.'),
                            [('Allow', 'GET, HEAD')])
            pages = int(svc.opt('hostile_pages'))
            hpage = int((q.get('hpage') or ['0'])[0])
            if pages and (pages < 0 or hpage < pages) and path in (
                    '/redfish/v1/Systems', '/redfish/v1/Chassis', '/redfish/v1/Managers'):
                v = svc.collection_view(path, svc.colls[path])
                v['Members'] = []
                v['Members@odata.nextLink'] = '%s?hpage=%d' % (path, hpage + 1)
                return self.get_answer(auth, user, v, fault)
            skip = int((q.get('$skip') or ['0'])[0])
            v = svc.collection_view(path, svc.colls[path], skip=skip,
                                    empty_page=bool(fault and fault['kind'] == 'empty_page'))
            return self.get_answer(auth, user, v, fault)
        v = svc.view(path)
        if v is None:
            raise Reply(404, error_body('ResourceNotFound',
                                        'The requested resource of type %s named %s was not found.'
                                        % ('Resource', path.rsplit('/', 1)[-1]), ['Resource', path]))
        if m in ('GET', 'HEAD'):
            return self.get_answer(auth, user, v, fault)
        if m == 'PATCH' and path in svc.res and ('/Systems/' in path or '/Chassis/' in path) \
                and path.count('/') == 4:
            return self.patch(auth, user, path, v, body)
        allow = 'GET, HEAD, PATCH' if path.count('/') == 4 and ('/Systems/' in path or '/Chassis/' in path) \
            else 'GET, HEAD'
        raise Reply(405, error_body('OperationNotAllowed', 'Operation not allowed.'), [('Allow', allow)])

    def get_answer(self, auth, user, v, fault):
        etag = Service.etag_of(v)
        inm = self.headers.get('If-None-Match')
        if inm and inm.strip() == etag:
            return auth, user, 304, {'etag': etag}
        v = dict(v)
        v['@odata.etag'] = etag
        if fault and fault['kind'] in ('truncated', 'close_mid_body'):
            raw = json.dumps(v, indent=1, sort_keys=True).encode()
            if fault['kind'] == 'truncated':
                raise Reply(200, raw[:len(raw) // 2], [('ETag', etag)])
            # announce the whole body, send half, close
            self.send_response(200)
            self.send_header('OData-Version', '4.0')
            self.send_header('Content-Type', 'application/json;charset=utf-8')
            self.send_header('Content-Length', str(len(raw)))
            self.end_headers()
            self.wfile.write(raw[:len(raw) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            raise BrokenPipeError()
        allow = 'GET, HEAD'
        p = norm_path(self.path)
        if p.count('/') == 4 and ('/Systems/' in p or '/Chassis/' in p):
            allow = 'GET, HEAD, PATCH'
        if p == self.svc.sessions_path:
            allow = 'GET, HEAD, POST'
        return auth, user, 200, {'body': v, 'etag': etag, 'allow': allow}

    def login(self, body):
        svc = self.svc
        svc.stats['login_attempts'] += 1
        mode = svc.opt('session_post')
        if mode in ('405', '404'):
            st = int(mode)
            raise Reply(st, error_body('OperationNotAllowed' if st == 405 else 'ResourceNotFound',
                                       'Sessions are not supported by this service.'),
                        [('Allow', 'GET, HEAD')] if st == 405 else [])
        try:
            req = json.loads(body or b'null')
        except ValueError:
            raise Reply(400, error_body('MalformedJSON',
                                        'The request body submitted was malformed JSON and could not be '
                                        'parsed by the receiving service.'))
        if not isinstance(req, dict) or 'UserName' not in req or 'Password' not in req:
            raise Reply(400, error_body('ActionParameterMissing',
                                        'The action Login requires the parameter UserName/Password to be '
                                        'present in the request body.', ['Login', 'UserName']))
        u, p = req['UserName'], req['Password']
        if u not in USERS or USERS[u][0] != p:
            raise Reply(401, error_body('ResourceAtUriUnauthorized',
                                        'While accessing the resource at %s, the service received an '
                                        'authorization error.' % svc.sessions_path,
                                        [svc.sessions_path, 'Unauthorized']))
        tok = secrets.token_hex(16)
        sid = str(svc.next_session)
        svc.next_session += 1
        spath = svc.sessions_path + '/' + sid
        svc.sessions[tok] = {'id': sid, 'user': u, 'last': time.monotonic(), 'path': spath}
        svc.stats['logins'] += 1
        loc = spath
        if mode == 'absolute_location':
            loc = '%s://127.0.0.1:%d%s' % ('https' if svc.https else 'http', svc.port, spath)
        hdrs = [('Location', loc)]
        if mode != 'no_token':
            hdrs.append(('X-Auth-Token', tok))
        sbody = {'@odata.id': spath, '@odata.type': '#Session.v1_3_0.Session', 'Id': sid,
                 'Name': 'User Session', 'UserName': u}
        if mode == 'no_body':
            raise Reply(204, None, hdrs)
        raise Reply(201, sbody, hdrs)

    def logout(self, auth, user, path):
        svc = self.svc
        for tok, s in list(svc.sessions.items()):
            if s['path'] == path:
                del svc.sessions[tok]
                svc.stats['logouts'] += 1
                return auth, user, 204, {}
        if path.startswith(svc.sessions_path + '/'):
            raise Reply(404, error_body('ResourceNotFound', 'The session %s was not found.' % path))
        raise Reply(405, error_body('OperationNotAllowed', 'Operation not allowed.'),
                    [('Allow', 'GET, HEAD, PATCH' if '/Systems/' in path or '/Chassis/' in path
                      else 'GET, HEAD')])

    def parse_body(self, body):
        try:
            req = json.loads(body or b'')
        except ValueError:
            raise Reply(400, error_body('MalformedJSON',
                                        'The request body submitted was malformed JSON and could not be '
                                        'parsed by the receiving service.'))
        if not isinstance(req, dict):
            raise Reply(400, error_body('MalformedJSON', 'The request body is not a JSON object.'))
        return req

    def reset(self, auth, user, sys_path, body):
        svc = self.svc
        if sys_path not in svc.res:
            raise Reply(404, error_body('ResourceNotFound', 'The action target was not found.'))
        req = self.parse_body(body)
        if 'ResetType' not in req:
            raise Reply(400, error_body('ActionParameterMissing',
                                        'The action ComputerSystem.Reset requires the parameter ResetType '
                                        'to be present in the request body.',
                                        ['ComputerSystem.Reset', 'ResetType']))
        rt = req['ResetType']
        allowed = svc.res[sys_path + '/ResetActionInfo']['Parameters'][0]['AllowableValues']
        if rt not in allowed:
            raise Reply(400, error_body('ActionParameterValueNotInList',
                                        'The value %s for the parameter ResetType in the action '
                                        'ComputerSystem.Reset is not in the list of acceptable values.'
                                        % json.dumps(rt), [json.dumps(rt), 'ResetType', 'ComputerSystem.Reset']))
        code = int(svc.opt('reset_code'))
        if code == 202:
            tid = str(svc.next_task)
            svc.next_task += 1
            svc.tasks[tid] = {'done_at': time.monotonic() + float(svc.opt('task_seconds')),
                              'system': sys_path, 'reset_type': rt, 'applied': False}
            mon = '/redfish/v1/TaskService/TaskMonitors/' + tid
            raise Reply(202, self.task_body(tid), [('Location', mon), ('Retry-After', '0')])
        svc.apply_reset(sys_path, rt)
        if code == 204:
            return auth, user, 204, {}
        return auth, user, 200, {'body': {'@Message.ExtendedInfo': [
            message('Success', 'The request completed successfully.', severity='OK')]}}

    def task_body(self, tid):
        t = self.svc.tasks[tid]
        done = time.monotonic() >= t['done_at']
        return {'@odata.id': '/redfish/v1/TaskService/Tasks/' + tid, '@odata.type': '#Task.v1_4_3.Task',
                'Id': tid, 'Name': 'Task ' + tid, 'TaskState': 'Completed' if done else 'Running',
                'TaskStatus': 'OK', 'PercentComplete': 100 if done else 50,
                'TaskMonitor': '/redfish/v1/TaskService/TaskMonitors/' + tid}

    def task_monitor(self, auth, user, path):
        tid = path.rsplit('/', 1)[1]
        if tid not in self.svc.tasks:
            raise Reply(404, error_body('ResourceNotFound', 'The task monitor was not found.'))
        self.svc.settle()
        body = self.task_body(tid)
        if body['TaskState'] == 'Running':
            raise Reply(202, body, [('Location', path), ('Retry-After', '0')])
        return auth, user, 200, {'body': body}

    def patch(self, auth, user, path, view, body):
        svc = self.svc
        im = self.headers.get('If-Match')
        if im is not None and im.strip() != '*' and im.strip() != Service.etag_of(view):
            raise Reply(412, error_body('PreconditionFailed',
                                        'The ETag supplied did not match the ETag required to change this '
                                        'resource.', resolution='Try the operation again using the '
                                        'appropriate ETag.'))
        req = self.parse_body(body)
        if not req:
            raise Reply(400, error_body('EmptyJSON',
                                        'The request body submitted contained an empty JSON object and the '
                                        'service is unable to process it.'))
        is_sys = '/Systems/' in path
        res = svc.res[path]
        writable = SYSTEM_WRITABLE if is_sys else CHASSIS_WRITABLE
        readonly = SYSTEM_READONLY if is_sys else CHASSIS_READONLY
        errors, changes = [], []
        for k, v in req.items():
            if k in readonly:
                errors.append(message('PropertyNotWritable', 'The property %s is a read only property and '
                                      'cannot be assigned a value.' % k, [k], 'Warning'))
            elif k not in writable or (k in ('IndicatorLED', 'LocationIndicatorActive') and k not in res):
                errors.append(message('PropertyUnknown', 'The property %s is not in the list of valid '
                                      'properties for the resource.' % k, [k], 'Warning'))
            elif k == 'Boot':
                if not isinstance(v, dict):
                    errors.append(self.type_error(k, v))
                    continue
                for bk, bv in v.items():
                    allowed = {'BootSourceOverrideTarget': res['Boot']['BootSourceOverrideTarget@Redfish.AllowableValues'],
                               'BootSourceOverrideEnabled': ['Disabled', 'Once', 'Continuous'],
                               'BootSourceOverrideMode': ['UEFI', 'Legacy']}.get(bk)
                    if allowed is None:
                        errors.append(message('PropertyUnknown', 'The property %s is not in the list of valid '
                                              'properties for the resource.' % bk, [bk], 'Warning'))
                    elif not isinstance(bv, str):
                        errors.append(self.type_error(bk, bv))
                    elif bv not in allowed:
                        errors.append(self.not_in_list(bk, bv))
                    else:
                        changes.append((res['Boot'], bk, bv))
            elif k == 'IndicatorLED':
                if not isinstance(v, str):
                    errors.append(self.type_error(k, v))
                elif v not in ('Lit', 'Blinking', 'Off'):
                    errors.append(self.not_in_list(k, v))
                else:
                    changes.append((res, k, v))
            elif k == 'LocationIndicatorActive':
                if not isinstance(v, bool):
                    errors.append(self.type_error(k, v))
                else:
                    changes.append((res, k, v))
            elif k == 'AssetTag':
                if not isinstance(v, str):
                    errors.append(self.type_error(k, v))
                else:
                    changes.append((res, k, v))
        if errors and (not changes or svc.opt('mixed_patch') == 'apply_none'):
            raise Reply(400, {'error': {'code': errors[0]['MessageId'], 'message': errors[0]['Message'],
                                        '@Message.ExtendedInfo': errors}})
        for obj, k, v in changes:
            obj[k] = v
        if errors:
            return auth, user, 200, {'body': {'@Message.ExtendedInfo': errors}}
        if int(svc.opt('patch_code')) == 200:
            return auth, user, 200, {'body': {'@Message.ExtendedInfo': [
                message('Success', 'The request completed successfully.', severity='OK')]}}
        return auth, user, 204, {}

    @staticmethod
    def type_error(k, v):
        return message('PropertyValueTypeError', 'The value %s for the property %s is of a different type '
                       'than the property can accept.' % (json.dumps(v), k), [json.dumps(v), k], 'Warning')

    @staticmethod
    def not_in_list(k, v):
        return message('PropertyValueNotInList', 'The value %s for the property %s is not in the list of '
                       'acceptable values.' % (json.dumps(v), k), [json.dumps(v), k], 'Warning')

    # ---- control
    def control(self, path):
        svc = self.svc
        body = self.body_bytes()
        req = json.loads(body) if body else {}
        with svc.lock:
            if path == '/_emulator/stats':
                out = dict(svc.stats)
                out['requests'] = list(svc.stats['requests'])
                out['sessions'] = sorted(s['path'] for s in svc.sessions.values())
                return self.send(200, out)
            if path == '/_emulator/reset_stats':
                svc.reset_stats()
            elif path == '/_emulator/options':
                unknown = set(req) - set(DEFAULT_OPTIONS)
                if unknown:
                    return self.send(400, {'error': 'unknown options %s' % sorted(unknown)})
                svc.options.update(req)
            elif path == '/_emulator/fault':
                req.setdefault('count', 1)
                svc.faults.append(req)
            elif path == '/_emulator/clear_faults':
                svc.faults = []
            elif path == '/_emulator/expire_sessions':
                svc.sessions.clear()
            elif path == '/_emulator/resource':
                q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                p = q['path'][0]
                return self.send(200, svc.view(p))
            elif path == '/_emulator/set':
                target = svc.res[req['path']]
                _merge(target, req['merge'])
            else:
                return self.send(404, {'error': 'no such control'})
        return self.send(200, {'ok': True})


def _merge(dst, src):
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _merge(dst[k], v)
        else:
            dst[k] = v


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, service, sslctx, verbose=False):
        self.service = service
        self.sslctx = sslctx
        self.verbose = verbose
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        # TLS is negotiated here, in the connection's own thread, so a slow or failing
        # handshake never blocks accept()
        if self.sslctx is not None:
            request.settimeout(10)
            try:
                request = self.sslctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                with self.service.lock:
                    self.service.stats['tls_failures'] += 1
                return
            request.settimeout(None)
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        try:
            self.RequestHandlerClass(request, client_address, self)
        finally:
            if self.sslctx is not None:
                try:
                    request.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--fixture', default='single', choices=sorted(FIXTURES))
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--cert', help='server certificate (PEM): serve HTTPS')
    ap.add_argument('--key', help='server key (PEM)')
    ap.add_argument('--config', help='JSON file {"options": {...}, "faults": [...]}')
    ap.add_argument('--verbose', action='store_true')
    a = ap.parse_args()
    conf = {}
    if a.config:
        with open(a.config) as f:
            conf = json.load(f)
    svc = Service(a.fixture, conf.get('options'))
    for f in conf.get('faults', []):
        f.setdefault('count', 1)
        svc.faults.append(f)
    ctx = None
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        svc.https = True
    srv = Server(('127.0.0.1', a.port), svc, ctx, a.verbose)
    svc.port = srv.server_address[1]
    print('ready %d' % svc.port, flush=True)
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    srv.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
