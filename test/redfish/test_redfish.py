#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Redfish backend through the real service, against the project's Redfish test server
over HTTPS with a CA made at test time (redfish.md, api.md §6-§7, redfish-test-server.md).

* every API command in both API versions against two topologies: a single rackmount server
  (IndicatorLED, Thermal and Power on its chassis) and a multi-node service (a rack chassis
  listed first without Thermal, node chassis with LocationIndicatorActive, Power found through
  Links.ContainedBy, dotted Ids, paged collections); Redfish boards in scan-all; one check
  through nginx;
* a PATCH carries If-Match; a 412 is retried once;
* connection reuse and a single login across 50 requests of one worker; logout (DELETE of the
  session) when the worker exits on SIGTERM;
* re-login once on an expired session and after the idle timeout; HTTP Basic when the service
  has no SessionService, when the login answers 405 or without X-Auth-Token; authentication
  failure; tokens from a Location URL and a 204 login;
* TLS: the wrong CA gives a clear 500, verify_tls false and plain http work.
"""

import os
import shutil
import tempfile
import time

import rfhelp as RH

H = RH.H
R = H.Runner('test_redfish')
P12 = '/opendcre/1.2'
P13 = '/opendcre/1.3'
FW = 'OpenDCRE Redfish Bridge v1.0'


def ok(h, uri, expected, what=None):
    return H.expect_ok(h.fcgi(uri), expected, what or uri)


def err(h, uri, *contains, what=None):
    v = H.version_of(uri)
    return H.expect_error(h.fcgi(uri), 500, v, contains=contains, what=what or uri)


def count(srv, method, path=None):
    return sum(1 for r in srv.stats()['requests']
               if r['method'] == method and (path is None or r['path'] == path))


# ------------------------------------------------------------------------------------------

def functional(tmp, certs, single, multi):
    cfg = {'timeout': 3, 'power_wait': 3, 'ca_file': certs['ca'],
           'racks': [{'rack_id': 'rack_rf_1', 'servers': [RH.server_entry(single, hostnames=['rf-single'])]},
                     {'rack_id': 'rack_rf_2',
                      'servers': [RH.server_entry(multi, hostnames=['rf-multi'], board_id='70000010')]}]}
    b1 = RH.Board('single', '70000000', ['rf-single'], ['127.0.0.1'])
    b2 = RH.Board('multinode', '70000010', ['rf-multi'], ['127.0.0.1'])
    nginx = H.find_nginx() is not None
    h = RH.RfHarness(cfg, workers=2, start_nginx=nginx, name='rf-api')
    try:
        h.start()
    except Exception as e:
        R.fail('service starts with two Redfish servers', e)
        return
    try:
        for b in (b1, b2):
            for v, base in (('1.2', P12 + '/version/' + b.board_id), ('1.3', P13 + '/version/rack/' + b.board_id)):
                R.check('%s version %s' % (b.board_id, v), ok, h, base,
                        {'api_version': v, 'firmware_version': FW, 'opendcre_version': v + '.0'})
        # single-board scans (live discovery), by id, hostname and IP
        for b in (b1, b2):
            R.check('%s scan 1.3' % b.board_id, ok, h, P13 + '/scan/rack/' + b.board_id, {'boards': [b.record('1.3')]})
            R.check('%s scan 1.2' % b.board_id, ok, h, P12 + '/scan/' + b.board_id, {'boards': [b.record('1.2')]})
        R.check('scan by hostname rf-multi', ok, h, P13 + '/scan/rack/rf-multi', {'boards': [b2.record('1.3')]})
        R.check('scan by the shared default IP reaches the first board', ok, h,
                P13 + '/scan/rack/127.0.0.1', {'boards': [b1.record('1.3')]})
        # scan-all: both boards merged, grouped by rack
        R.check('scan/force 1.3 lists both Redfish boards by rack', ok, h, P13 + '/scan/force',
                {'racks': [{'rack_id': 'rack_rf_1', 'boards': [b1.record('1.3')]},
                           {'rack_id': 'rack_rf_2', 'boards': [b2.record('1.3')]}]})
        R.check('scan 1.2 (from the cache)', ok, h, P12 + '/scan', {'boards': [b1.record('1.2'), b2.record('1.2')]})
        R.check('scan/rack_rf_2', ok, h, P13 + '/scan/rack_rf_2',
                {'racks': [{'rack_id': 'rack_rf_2', 'boards': [b2.record('1.3')]}]})

        reads(h, b1, b2)
        power(h, single, multi, b1, b2)
        leds(h, single, multi, b1, b2)
        boot(h, single, b1, b2)
        assets(h, b1, b2)
        misc(h, b1, b2)
        etags(h, single, b1)
        if nginx:
            def via_nginx():
                r = h.get(P13 + '/read/temperature/rack/rf-single/CPU1%20Temp')
                H.expect_ok(r, {'health': 'ok', 'states': [], 'temperature_c': 38.0}, 'nginx')
            R.check('a read through nginx', via_nginx)
    finally:
        R.harness_problems(h, 'API run: no crashes, clean shutdown')


def reads(h, b1, b2):
    for b in (b1, b2):
        for dev, name, typ, e in b.sensors:
            val = e.get({'fan_speed': 'Reading', 'temperature': 'ReadingCelsius',
                         'voltage': 'ReadingVolts'}.get(typ, ''), 'x')
            for v, pre in (('1.3', P13 + '/read/%s/rack/%s/%s'), ('1.2', P12 + '/read/%s/%s/%s')):
                uri = pre % (typ, b.board_id, dev)
                title = '%s read %s %s (%s) %s' % (b.board_id, typ, dev, name, v)
                if val is None:
                    R.check(title + ': null reading -> 500', err, h, uri, 'Redfish board ' + b.board_id,
                            'has no reading', 'https://127.0.0.1:')
                elif typ == 'power_supply' and v == '1.2':
                    R.check(title + ': no 1.2 shape -> 500', err, h, uri, 'power_supply')
                else:
                    R.check(title, ok, h, uri, b.reading(v, dev))
    # duplicate names: by id each entry, by name the first
    dup = [s for s in b1.sensors if s[1] == 'Sys Fan']
    R.check('duplicate name: the second entry by id', ok, h, P13 + '/read/fan_speed/rack/70000000/' + dup[1][0],
            {'health': 'ok', 'speed_rpm': 4200.0, 'states': []})
    R.check('duplicate name: the name selects the first', ok, h, P13 + '/read/fan_speed/rack/70000000/sys%20fan',
            {'health': 'ok', 'speed_rpm': 4100.0, 'states': []})
    R.check('read by hostname and device name', ok, h, P13 + '/read/temperature/rack/rf-multi/Node%20Temp',
            {'health': 'ok', 'states': [], 'temperature_c': 41.0})
    R.check('critical temperature has its state', ok, h, P13 + '/read/temperature/rack/rf-multi/DIMM%20Temp',
            {'health': 'critical', 'states': ['enabled'], 'temperature_c': 95.25})
    R.check('fan read 1.2', ok, h, P12 + '/fan/70000000/0000', {'speed_rpm': 2350.0})
    R.check('fan read 1.3 (0 RPM critical)', ok, h, P13 + '/fan/rack/70000000/0001',
            {'health': 'critical', 'speed_rpm': 0.0, 'states': ['enabled']})
    R.check('fan set -> 500', err, h, P13 + '/fan/rack/70000000/0000/4000',
            'Setting of fan speed is not permitted for Redfish board 70000000')
    R.check('fan set 1.2 -> 500', err, h, P12 + '/fan/70000010/0000/4000',
            'Setting of fan speed is not permitted for Redfish board 70000010')
    R.check('read with the wrong type -> 500', err, h, P13 + '/read/voltage/rack/70000000/0000',
            'Redfish board 70000000 has no voltage device')
    R.check('read an unknown device -> 500', err, h, P12 + '/read/temperature/70000000/00ff',
            'no temperature device', '00ff')
    R.check('read the power device -> 500', err, h, P13 + '/read/power/rack/70000000/0100', 'power')
    R.check('read an unknown name -> 500', err, h, P13 + '/read/temperature/rack/70000000/No%20Such',
            "no temperature device 'No Such'")


def power(h, single, multi, b1, b2):
    R.check('power status 1.3 (single)', ok, h, P13 + '/power/rack/70000000/0100',
            {'input_power': 344.0, 'over_current': False, 'power_ok': True, 'power_status': 'on'})
    R.check('power status 1.3 (multinode: rack Power via ContainedBy, no limit, Warning)', ok, h,
            P13 + '/power/rack/70000010/power',
            {'input_power': 688.0, 'over_current': 'unknown', 'power_ok': False, 'power_status': 'on'})
    R.check('power status 1.2 (multinode: unknown -> false)', ok, h, P12 + '/power/70000010/0100',
            {'input_power': 688.0, 'input_voltage': 0, 'output_current': 0, 'over_current': False,
             'pmbus_raw': '0,0,0,0', 'power_ok': False, 'power_status': 'on', 'under_voltage': False})
    R.check('power off 1.3', ok, h, P13 + '/power/rack/70000000/0100/off',
            {'input_power': 0.0, 'over_current': False, 'power_ok': True, 'power_status': 'off'})

    def state_is(srv, path, want):
        got = srv.resource(path)['PowerState']
        assert got == want, 'PowerState %r, expected %r' % (got, want)
    R.check('  the server is off', state_is, single, '/redfish/v1/Systems/1', 'Off')
    R.check('power on 1.2 (old style)', ok, h, P12 + '/power/on/70000000/0100',
            {'input_power': 344.0, 'input_voltage': 0, 'output_current': 0, 'over_current': False,
             'pmbus_raw': '0,0,0,0', 'power_ok': True, 'power_status': 'on', 'under_voltage': False})
    R.check('  the server is on', state_is, single, '/redfish/v1/Systems/1', 'On')
    before = count(multi, 'POST')
    R.check('power cycle 1.3 (multinode)', ok, h, P13 + '/power/rack/70000010/0100/cycle',
            {'input_power': 688.0, 'over_current': 'unknown', 'power_ok': False, 'power_status': 'on'})

    def posted_reset():
        reqs = [r for r in multi.stats()['requests'] if r['method'] == 'POST']
        assert len(reqs) == before + 1 and reqs[-1]['path'] == \
            '/redfish/v1/Systems/System.Node.1/Actions/ComputerSystem.Reset', reqs[-3:]
    R.check('  one POST to the reset action of the first system', posted_reset)
    R.check('power on the system device -> 500', err, h, P13 + '/power/rack/70000000/0200/on',
            'no power device')
    R.check('power status 1.2 on the led device -> 500', err, h, P12 + '/power/70000000/0300', 'no power device')


def leds(h, single, multi, b1, b2):
    R.check('LED 1.3 (IndicatorLED Off)', ok, h, P13 + '/led/rack/70000000/0300', {'led_state': 'off'})
    R.check('LED on 1.3', ok, h, P13 + '/led/rack/70000000/led/on', {'led_state': 'on'})

    def res_is(srv, path, key, want):
        got = srv.resource(path)[key]
        assert got == want, '%s %r, expected %r' % (key, got, want)
    R.check('  chassis IndicatorLED is Lit', res_is, single, '/redfish/v1/Chassis/1', 'IndicatorLED', 'Lit')
    R.check('LED 1.2 on the system device', ok, h, P12 + '/led/70000000/0200',
            {'led_color': 'unknown', 'led_state': 'on'})
    R.check('LED off 1.2', ok, h, P12 + '/led/70000000/0300/off', {'led_color': 'unknown', 'led_state': 'off'})
    patches = count(single, 'PATCH')
    R.check('LED no_override 1.3 reads only', ok, h, P13 + '/led/rack/70000000/0300/no_override',
            {'led_state': 'off'})

    def no_patch():
        assert count(single, 'PATCH') == patches, 'a PATCH was sent for no_override'
    R.check('  no PATCH for no_override', no_patch)
    single.set('/redfish/v1/Chassis/1', {'IndicatorLED': 'Blinking'})
    R.check('LED blinking', ok, h, P13 + '/led/rack/70000000/0300', {'led_state': 'blinking'})
    R.check('LED multinode (LocationIndicatorActive false)', ok, h, P13 + '/led/rack/70000010/0300',
            {'led_state': 'off'})
    R.check('LED on multinode', ok, h, P13 + '/led/rack/rf-multi/0300/on', {'led_state': 'on'})
    R.check('  chassis LocationIndicatorActive is true', res_is, multi, '/redfish/v1/Chassis/Node.1',
            'LocationIndicatorActive', True)
    R.check('LED off 1.2 multinode', ok, h, P12 + '/led/70000010/0300/off', {'led_color': 'unknown', 'led_state': 'off'})
    R.check('  chassis LocationIndicatorActive is false', res_is, multi, '/redfish/v1/Chassis/Node.1',
            'LocationIndicatorActive', False)
    R.check('LED 1.3 on the system device -> 500', err, h, P13 + '/led/rack/70000000/0200', 'no led device')
    R.check('chamber LED -> 500', err, h, P13 + '/led/rack/70000000/0300/on/ff0000/blink',
            'Command "chamber_led" not supported for Redfish board 70000000')
    R.check('LED colour 1.2 -> 500', err, h, P12 + '/led/70000000/0300/on/ff0000', 'LED color setting is not supported yet.')


def boot(h, single, b1, b2):
    R.check('boot target get (None)', ok, h, P13 + '/boot_target/rack/70000000/0200', {'target': 'no_override'})
    R.check('boot target set pxe', ok, h, P13 + '/boot_target/rack/70000000/system/pxe', {'target': 'pxe'})

    def boot_is(want):
        got = single.resource('/redfish/v1/Systems/1')['Boot']['BootSourceOverrideTarget']
        assert got == want, 'BootSourceOverrideTarget %r' % got
    R.check('  server target is Pxe', boot_is, 'Pxe')
    patches = count(single, 'PATCH')
    R.check('boot target set pxe again', ok, h, P12 + '/boot_target/70000000/0200/pxe', {'target': 'pxe'})

    def no_patch():
        assert count(single, 'PATCH') == patches, 'a PATCH was sent although the target is already Pxe'
    R.check('  no PATCH when the target is already set', no_patch)
    R.check('boot target set hdd 1.2', ok, h, P12 + '/boot_target/70000000/0200/hdd', {'target': 'hdd'})
    R.check('boot target set no_override', ok, h, P13 + '/boot_target/rack/70000000/0200/no_override',
            {'target': 'no_override'})
    R.check('  server target is None', boot_is, 'None')
    single.set('/redfish/v1/Systems/1', {'Boot': {'BootSourceOverrideTarget': 'Cd'}})
    R.check('other targets pass through lower-cased', ok, h, P12 + '/boot_target/70000000/0200', {'target': 'cd'})
    single.set('/redfish/v1/Systems/1', {'Boot': {'BootSourceOverrideEnabled': 'Disabled'}})
    R.check('set with BootSourceOverrideEnabled Disabled -> 500', err, h,
            P13 + '/boot_target/rack/70000000/0200/pxe', 'BootSourceOverrideEnabled is Disabled',
            'Redfish board 70000000')
    single.set('/redfish/v1/Systems/1', {'Boot': {'BootSourceOverrideEnabled': 'Once',
                                                  'BootSourceOverrideTarget': 'None'}})
    single.set('/redfish/v1/Systems/1', {'Boot': {'BootSourceOverrideTarget@Redfish.AllowableValues':
                                                  ['None', 'Hdd']}})
    R.check('a PATCH the service refuses: 500 with its status and Redfish message', err, h,
            P13 + '/boot_target/rack/70000000/0200/pxe', 'PATCH /redfish/v1/Systems/1 answered 400',
            'Base.1.8.PropertyValueNotInList', 'BootSourceOverrideTarget')
    single.set('/redfish/v1/Systems/1', {'Boot': {'BootSourceOverrideTarget@Redfish.AllowableValues':
                                                  ['None', 'Pxe', 'Hdd', 'Cd']}})
    R.check('boot target multinode (dotted Ids)', ok, h, P13 + '/boot_target/rack/70000010/0200/pxe', {'target': 'pxe'})
    R.check('boot target on the led device -> 500', err, h, P13 + '/boot_target/rack/70000000/0300', 'no system device')
    R.check('boot target invalid -> 500', err, h, P13 + '/boot_target/rack/70000000/0200/cd', "Invalid boot target 'cd'")


def assets(h, b1, b2):
    for b in (b1, b2):
        ch, sy, mg = b.res[b.chassis], b.res[b.system], b.res[b.manager]
        want = {'board_info': {'manufacturer': sy['Manufacturer'], 'part_number': sy['PartNumber'],
                               'product_name': sy['Model'], 'serial_number': sy['SerialNumber']},
                'chassis_info': {'chassis_type': ch['ChassisType'], 'part_number': ch['PartNumber'],
                                 'serial_number': ch['SerialNumber']},
                'product_info': {'asset_tag': ch['AssetTag'], 'manufacturer': 'unknown', 'part_number': 'unknown',
                                 'product_name': mg['Model'], 'serial_number': 'unknown',
                                 'version': mg['FirmwareVersion']},
                'redfish_ip': '127.0.0.1'}
        R.check('%s asset 1.3' % b.board_id, ok, h, P13 + '/asset/rack/%s/0200' % b.board_id, want)
        R.check('%s asset 1.2' % b.board_id, ok, h, P12 + '/asset/%s/0200' % b.board_id, want)
    R.check('asset on the power device -> 500', err, h, P13 + '/asset/rack/70000000/0100', 'no system device')


def misc(h, b1, b2):
    R.check('host_info 1.3', ok, h, P13 + '/host_info/rack/70000010/0200',
            {'hostnames': ['rf-multi'], 'ip_addresses': ['127.0.0.1']})
    R.check('location 1.3', ok, h, P13 + '/location/rack/70000000', H.location(None))
    R.check('location 1.2 with a device', ok, h, P12 + '/location/70000010/72df', H.location(0x72df))
    R.check('unknown Redfish id -> 500', err, h, P12 + '/version/70000005', 'BMC with board_num was not found.')


def etags(h, single, b1):
    def if_match_sent():
        reqs = [r for r in single.stats()['requests'] if r['method'] == 'PATCH']
        assert reqs and all(r['if_match'] and r['if_match'].startswith('"') for r in reqs), reqs
    R.check('every PATCH carried If-Match with the ETag', if_match_sent)
    single.fault(method='PATCH', path='/redfish/v1/Chassis/1', kind='status', status=412, count=1)
    n = count(single, 'PATCH')
    R.check('412 once: read again, PATCH again, success', ok, h, P13 + '/led/rack/70000000/0300/on', {'led_state': 'on'})

    def two_patches():
        assert count(single, 'PATCH') == n + 2, 'expected 2 PATCHes'
    R.check('  two PATCHes', two_patches)
    single.fault(method='PATCH', path='/redfish/v1/Chassis/1', kind='status', status=412, count=-1)
    n = count(single, 'PATCH')
    R.check('412 twice: 500 naming the 412', err, h, P13 + '/led/rack/70000000/0300/off',
            'PATCH /redfish/v1/Chassis/1 answered 412', 'PreconditionFailed')
    R.check('  exactly one retry', lambda: (count(single, 'PATCH') == n + 2) or (_ for _ in ()).throw(
        AssertionError('PATCHes: %d' % (count(single, 'PATCH') - n))))
    single.clear_faults()
    # a PATCH the service refuses: its Redfish message is passed on
    single.set('/redfish/v1/Chassis/1', {'IndicatorLED': 'Off'})


# ------------------------------------------------------------------------------------------

def reuse(tmp, certs):
    srv = RH.RedfishServer('single', certs, log_dir=tmp, name='reuse').start()
    cfg = {'timeout': 3, 'ca_file': certs['ca'],
           'racks': [{'rack_id': 'r', 'servers': [RH.server_entry(srv)]}]}
    h = RH.RfHarness(cfg, workers=1, name='rf-reuse')
    try:
        h.start()
        srv.reset_stats()
        uris = [P13 + '/read/temperature/r/70000000/0004', P12 + '/power/70000000/0100',
                P13 + '/read/fan_speed/r/70000000/0000', P13 + '/led/r/70000000/0300']
        t0 = time.monotonic()
        statuses = [h.fcgi(uris[i % len(uris)]).status for i in range(50)]
        dt = time.monotonic() - t0
        H.log('50 requests in %.2f s' % dt)
        st = srv.stats()

        def all_ok():
            assert statuses == [200] * 50, statuses
        R.check('50 requests from one worker answer 200', all_ok)

        def one_conn():
            assert st['connections'] == 1, 'connections %d' % st['connections']
        R.check('  over one connection', one_conn)

        def one_login():
            assert st['logins'] == 1 and st['login_attempts'] == 1, 'logins %d' % st['logins']
        R.check('  with one session login', one_login)

        def creds():
            for r in st['requests']:
                if r['path'] in ('/redfish', '/redfish/v1', '/redfish/v1/'):
                    assert not r['authorization'] and not r['token'], 'credentials sent to %s' % r['path']
                elif r['method'] != 'POST':
                    assert r['auth'] == 'token' and not r['authorization'], r
        R.check('  no credentials for /redfish and the root; the token (never Basic) for the rest', creds)
        sessions = st['sessions']
    except Exception as e:
        R.fail('reuse run', e)
        sessions = []
    probs = h.stop()
    R.harness_problems(probs, 'reuse run: no crashes, clean shutdown')

    def logged_out():
        st = srv.stats()
        dels = [r for r in st['requests'] if r['method'] == 'DELETE']
        assert st['logouts'] == 1 and st['sessions'] == [], 'logouts %d, sessions %r' % (st['logouts'], st['sessions'])
        assert dels and dels[0]['path'] == sessions[0] and dels[0]['token'], dels
    R.check('the worker deleted its session when it stopped (SIGTERM)', logged_out)
    srv.stop()


def auth(tmp, certs):
    def mk(name, fixture, **opts):
        return RH.RedfishServer(fixture, certs, options=opts, log_dir=tmp, name=name).start()
    servers = {
        'main': mk('main', 'single'),
        'nosvc': mk('nosvc', 'single', session_service=False),
        'p405': mk('p405', 'single', session_post='405'),
        'notok': mk('notok', 'single', session_post='no_token'),
        'absloc': mk('absloc', 'multinode', session_post='absolute_location'),
        'nobody': mk('nobody', 'blades', session_post='no_body'),
    }
    plain = RH.RedfishServer('single', None, log_dir=tmp, name='plain').start()
    other = RH.RedfishServer('single', certs, log_dir=tmp, name='other').start()
    order = ['main', 'nosvc', 'p405', 'notok', 'absloc', 'nobody']
    entries = [RH.server_entry(servers[n]) for n in order]
    entries.append(RH.server_entry(servers['main'], password='wrong-password-xyz', hostnames=['badpw']))
    entries.append(RH.server_entry(other, ca_file=certs['other_ca'], hostnames=['wrongca']))
    entries.append(RH.server_entry(other, ca_file=certs['other_ca'], verify_tls=False, hostnames=['noverify']))
    entries.append(RH.server_entry(plain, scheme='http', hostnames=['plain']))
    cfg = {'timeout': 3, 'ca_file': certs['ca'], 'racks': [{'rack_id': 'r', 'servers': entries}]}
    ids = {n: '%08x' % (0x70000000 + i) for i, n in enumerate(order + ['badpw', 'wrongca', 'noverify', 'plain'])}
    h = RH.RfHarness(cfg, workers=1, name='rf-auth')
    try:
        h.start()
        main = servers['main']
        temp = P13 + '/read/temperature/r/%s/0004' % ids['main']
        R.check('session login', ok, h, temp, {'health': 'ok', 'states': [], 'temperature_c': 38.0})
        main.control('expire_sessions', {})
        R.check('expired session: re-login once, success', ok, h, temp,
                {'health': 'ok', 'states': [], 'temperature_c': 38.0})

        def relogged(n):
            st = main.stats()
            assert st['logins'] == n, 'logins %d, expected %d' % (st['logins'], n)
            four01 = [r for r in st['requests'] if r['status'] == 401]
            assert len(four01) == n - 1, '401 answers: %d' % len(four01)
        R.check('  two logins, one 401', relogged, 2)
        main.options_set(idle_timeout=1)
        time.sleep(1.3)       # the protocol requires the session to stay idle past its timeout
        R.check('idle session timed out: re-login once, success', ok, h, temp,
                {'health': 'ok', 'states': [], 'temperature_c': 38.0})
        R.check('  three logins, two 401', relogged, 3)
        main.options_set(idle_timeout=1800)

        for name, what in (('nosvc', 'no SessionService'), ('p405', 'login answered 405'),
                           ('notok', 'login without X-Auth-Token')):
            srv = servers[name]
            R.check('Basic fallback (%s): read works' % what, ok, h,
                    P13 + '/read/temperature/r/%s/0004' % ids[name],
                    {'health': 'ok', 'states': [], 'temperature_c': 38.0})
            R.check('  and a second request', ok, h, P13 + '/power/r/%s/0100' % ids[name],
                    {'input_power': 344.0, 'over_current': False, 'power_ok': True, 'power_status': 'on'})

            def basic_only(srv=srv, name=name):
                st = srv.stats()
                # no_token: the service made a session but sent no token for it
                assert st['logins'] == (1 if name == 'notok' else 0), 'logins %d' % st['logins']
                assert not any(r['token'] for r in st['requests']), 'a token was sent'
                assert st['login_attempts'] == (0 if name == 'nosvc' else 1), 'attempts %d' % st['login_attempts']
                authed = [r for r in st['requests'] if r['auth'] != 'none']
                assert authed and all(r['auth'] == 'basic' for r in authed), authed[:3]
            R.check('  %s: HTTP Basic on every request, one login attempt at most' % name, basic_only)
        for name in ('absloc', 'nobody'):
            R.check('login with %s: token used' % name, ok, h, P13 + '/scan/r/%s' % ids[name], None)

            def tokens(srv=servers[name]):
                st = srv.stats()
                assert st['logins'] == 1
                assert all(r['auth'] == 'token' for r in st['requests'] if r['auth'] != 'none')
            R.check('  %s: one login, the token on every request' % name, tokens)
        msg = err(h, P13 + '/scan/r/badpw', 'authentication failed (401)', 'Redfish board %s' % ids['badpw'])

        def no_secret():
            assert 'wrong-password-xyz' not in msg and 'secret' not in msg
            assert 'wrong-password-xyz' not in h.log_text(), 'password in the log'
        R.check('wrong password: 500 without the password, also not in the log', no_secret)
        R.check('wrong CA: 500 certificate verification failed', err, h, P13 + '/scan/r/wrongca',
                'certificate verification failed', 'Redfish board %s (https://127.0.0.1:%d)' % (ids['wrongca'], other.port),
                'GET /redfish')
        R.check('verify_tls false: the same server works', ok, h, P13 + '/version/r/noverify',
                {'api_version': '1.3', 'firmware_version': FW, 'opendcre_version': '1.3.0'})
        R.check('  and answers a read', ok, h, P13 + '/read/fan_speed/r/noverify/0000',
                {'health': 'ok', 'speed_rpm': 2350.0, 'states': []})
        R.check('plain http server', ok, h, P12 + '/read/voltage/%s/0007' % ids['plain'], {'voltage': 12.06})

        def warned():
            assert 'verify_tls is false' in h.log_text(), 'no start-up warning for verify_tls false'
        R.check('verify_tls false is warned about at start-up', warned)

        def tokens_secret():
            t = h.log_text()
            assert 'X-Auth-Token:' not in t and 'Authorization' not in t, 'credential header in the log'
        R.check('no token or Authorization header in the log', tokens_secret)
    except Exception as e:
        R.fail('auth run', e)
    probs = h.stop()
    R.harness_problems(probs, 'auth run: no crashes, clean shutdown')

    def logouts():
        for name in ('main', 'absloc', 'nobody'):
            st = servers[name].stats()
            assert st['logouts'] == 1 and not st['sessions'], '%s: logouts %d sessions %r' % (
                name, st['logouts'], st['sessions'])
    R.check('sessions from a Location URL and a 204 login are deleted at exit', logouts)
    for s in list(servers.values()) + [plain, other]:
        s.stop()


def main():
    RH.require_tools()
    tmp = tempfile.mkdtemp(prefix='opendcre-rf-')
    servers = []
    try:
        certs = RH.make_certs(tmp)
        single = RH.RedfishServer('single', certs, log_dir=tmp).start()
        servers.append(single)
        multi = RH.RedfishServer('multinode', certs, options={'page_size': 1}, log_dir=tmp, name='multi').start()
        servers.append(multi)
        functional(tmp, certs, single, multi)
        reuse(tmp, certs)
        auth(tmp, certs)
    finally:
        for s in servers:
            s.stop()
        if not R.failed and not H.KEEP:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            H.log('Redfish server logs kept in', tmp)
    R.finish()


if __name__ == '__main__':
    main()
