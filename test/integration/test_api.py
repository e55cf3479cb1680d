#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every route of both API versions through nginx -> opendcre-fcgi workers -> emulator.

Expected values come from the specification (api.md, conversions.md, plc-protocol.md,
emulator.md) and the data files in data/. Checks run in order: emulator cursors and the
shared sequence counter (lock file) make them stateful.
"""

import json
import os
import time

import harness as H
from harness import expect_ok, expect_error

P12 = '/opendcre/1.2'
P13 = '/opendcre/1.3'
R = H.Runner('test_api')
ERR = object()     # "500 with the version's error body"

API = H.load_data('api.json')
FW1 = API['boards'][0]['firmware_version']


def main():
    H.require_tools()
    bogus = {'format': 'opendcre-scan-cache/1', 'created': int(time.time()), 'racks': [
        {'rack_id': 'vapor_plc_rack', 'boards': [{'backend': 'plc', 'board_id': '000000aa',
                                                   'devices': [{'device_id': '0001', 'device_type': 'led'}]}]}]}

    def pre(h):
        with open(h.cachefile, 'w') as f:
            json.dump(bogus, f)

    h = H.Harness('api.json', workers=4, name='api', pre_start=pre)
    try:
        h.start()
    except Exception as e:
        R.fail('start emulator, service and nginx', e)
        R.finish()
    try:
        main_checks(h)
    finally:
        R.harness_problems(h, 'api.json: no crashes, clean shutdown')
    scan_scenarios()
    scan_all_fail()
    cache_expiry()
    R.finish()


# ------------------------------------------------------------------------------------------
# helpers bound to one harness

class Api:
    def __init__(self, h):
        self.h = h

    def ok(self, path, expected, method='GET', body=b''):
        r = self.h.request(path, method, body=body)
        return expect_ok(r, expected, '%s %s' % (method, path))

    def err(self, path, status=500, method='GET', **kw):
        r = self.h.request(path, method)
        return expect_error(r, status, H.version_of(path), what='%s %s' % (method, path), **kw)

    def get(self, path, expected, **kw):
        """expected is ERR (500 + version body) or a JSON value."""
        if expected is ERR:
            return self.err(path, **kw)
        return self.ok(path, expected)

    def seq_delta(self, delta, fn, *a, **kw):
        s0 = self.h.seq()
        out = fn(*a, **kw)
        s1 = self.h.seq()
        assert (s1 - s0) % 255 == delta, \
            'sequence counter moved by %d (lock file %d -> %d), expected %d' % ((s1 - s0) % 255, s0, s1, delta)
        return out


def T(v):
    return {'temperature_c': v}


def main_checks(h):
    a = Api(h)
    c = R.check
    data = API
    raw_a = [('0001', 'temperature')]
    raw_b = [('0001', 'temperature'), ('0002', 'none')]
    boards_a = H.expected_scan_boards(data, {'00000004': raw_a})
    boards_b = H.expected_scan_boards(data, {'00000004': raw_b})

    def racks(boards):
        return {'racks': [{'boards': boards, 'rack_id': 'vapor_plc_rack'}]}

    # ---- fresh state
    c('lock file holds the sequence counter 1 at start (plc-protocol §6)', lambda: _eq(h.seq(), 1))

    # ---- scan cache (Decision 6); board 00000004 answers from raw_data: entry A, then B, ...
    c('1.3 /scan: live scan-all (start-up deleted the old cache), every device type named',
      a.seq_delta, 2, a.ok, P13 + '/scan', racks(boards_a))
    c('scan cache file written after a live scan', lambda: _true(os.path.exists(h.cachefile)))
    c('1.3 /scan again: answered from the cache, no bus traffic', a.seq_delta, 0, a.ok, P13 + '/scan', racks(boards_a))
    c('1.2 /scan: same cache, 1.2 shape, no bus traffic', a.seq_delta, 0, a.ok, P12 + '/scan', {'boards': boards_a})
    c('1.3 /scan/vapor_plc_rack from the cache', a.seq_delta, 0, a.ok, P13 + '/scan/vapor_plc_rack', racks(boards_a))
    c('1.3 /scan//vapor_plc_rack (slashes merged)', a.ok, P13 + '/scan//vapor_plc_rack', racks(boards_a))
    c('1.3 /scan/force: live (raw_data cursor moved to entry B)', a.seq_delta, 2, a.ok, P13 + '/scan/force',
      racks(boards_b))
    c('1.3 /scan after force: the rewritten cache', a.seq_delta, 0, a.ok, P13 + '/scan', racks(boards_b))
    c('1.2 /scan after force', a.seq_delta, 0, a.ok, P12 + '/scan', {'boards': boards_b})
    c('1.3 single-board scan is live (entry A again)', a.seq_delta, 1, a.ok, P13 + '/scan/rack_1/00000004',
      {'boards': [{'board_id': '00000004', 'devices': [{'device_id': '0001', 'device_type': 'temperature'}]}]})
    c('1.2 single-board scan is live (entry B), unknown code -> "none"', a.seq_delta, 1, a.ok, P12 + '/scan/4',
      {'boards': [{'board_id': '00000004', 'devices': [{'device_id': '0001', 'device_type': 'temperature'},
                                                       {'device_id': '0002', 'device_type': 'none'}]}]})
    c('single-board scans did not touch the cache', a.ok, P13 + '/scan', racks(boards_b))
    b1 = {'boards': [boards_a[0]]}
    c('1.3 /scan/<rack>/00000001', a.ok, P13 + '/scan/rack_1/00000001', b1)
    c('1.2 /scan/00000001 (ids normalised from "1")', a.ok, P12 + '/scan/1', b1)
    c('1.2 /scan/00ffffff', a.ok, P12 + '/scan/00FFFFFF', {'boards': [
        {'board_id': '00ffffff', 'devices': [{'device_id': '0001', 'device_type': 'thermistor'}]}]})
    c('1.3 /scan/<rack>/3fffffff: sent as given; bit 28 set, so the emulator ignores it -> 500',
      a.err, P13 + '/scan/rack_1/3FFFFFFF', contains=['3fffffff'])
    c('1.3 single-board scan of a board with no devices -> 500', a.err, P13 + '/scan/rack_1/00000005')
    c('1.2 single-board scan of a missing board -> 500 naming it', a.err, P12 + '/scan/00000007',
      contains=['00000007'])
    c('1.3 /scan/rack_9 -> 500 "No rack found with id: rack_9"', a.err, P13 + '/scan/rack_9',
      prefix='No rack found with id: rack_9')
    c('1.3 rack ids are case-sensitive', a.err, P13 + '/scan/VAPOR_PLC_RACK',
      prefix='No rack found with id: VAPOR_PLC_RACK')
    c('1.3 /scan/rackA?x/00000001 is a rack scan (query cut)', a.err, P13 + '/scan/rackA?x/00000001',
      prefix='No rack found with id: rackA')
    c('1.2 /scan/force is a board id -> 500 board_num', a.err, P12 + '/scan/force',
      prefix='Error converting board_num to integer')

    # ---- test, version, plc_config
    for p in (P12 + '/test', P13 + '/test'):
        c('GET ' + p, a.seq_delta, 0, a.ok, p, {'status': 'ok'})
        c('POST ' + p + ' (body ignored)', a.ok, p, {'status': 'ok'}, method='POST', body=b'{"x": 1}')
    c('GET /opendcre/version', a.ok, '/opendcre/version', {'version': '1.3'})
    c('POST /opendcre/version', a.ok, '/opendcre/version', {'version': '1.3'}, method='POST')
    for p in (P12 + '/plc_config', P13 + '/plc_config'):
        for m in ('GET', 'POST'):
            c('%s %s on emulator hardware -> 500' % (m, p), a.seq_delta, 0, a.err, p, method=m,
              prefix='Unsupported hardware type in use. Unable to retrieve modem configuration.')

    def ver(v, fw):
        return {'api_version': v, 'firmware_version': fw, 'opendcre_version': v + '.0'}
    c('1.3 version (firmware longer than 32 characters)', a.seq_delta, 1, a.ok,
      P13 + '/version/rack_1/00000001', ver('1.3', FW1))
    c('1.2 version', a.seq_delta, 1, a.ok, P12 + '/version/00000001', ver('1.2', FW1))
    c('device id forms 0x1FF / 01FF / %091ff%0A', _seq_reads, a, None, None, pairs=[
        (P13 + '/read/thermistor/rack_1/1/0x1FF', T(28.78)), (P12 + '/read/thermistor/1/01FF', T(28.78)),
        (P13 + '/read/thermistor/rack_1/1/%091ff%0A', T(28.78))])
    for form in ('1', '0x1', '+1', '%201%20', '0000000000000000000001', '0X00000001'):
        c('1.3 board id form %r' % form, a.ok, P13 + '/version/rack_1/' + form, ver('1.3', FW1))
        c('1.2 board id form %r' % form, a.ok, P12 + '/version/' + form, ver('1.2', FW1))
    c('version with a corrupt answer and a retry (2 sequence numbers)', a.seq_delta, 2, a.ok,
      P13 + '/version/rack_1/00000003', ver('1.3', 'Board 00000003 v3 (after a retry)'))
    c('empty firmware version', a.ok, P12 + '/version/00000004', ver('1.2', ''))
    c('non-UTF-8 firmware read as ISO-8859-1', a.ok, P13 + '/version/rack_1/00000006', ver('1.3', 'Caf\u00e9 \u00ff'))
    c('1.2 version of board 00ffffff', a.ok, P12 + '/version/00ffffff', ver('1.2', 'Board 00ffffff'))
    c('1.3 version of board 3fffffff', a.ok, P13 + '/version/rack_1/3fffffff', ver('1.3', 'Board 3fffffff'))
    c('1.2 board 3fffffff is out of the 1.2 range', a.err, P12 + '/version/3fffffff',
      prefix='Error converting board_num to integer')
    c('version of a silent board -> 500 naming it', a.err, P13 + '/version/rack_1/7', contains=['00000007'])
    c('1.3 board 50000000 -> not associated', a.err, P13 + '/version/rack_1/50000000',
      prefix='Board ID (0x50000000) not associated with any registered devicebus handler.')
    c('1.3 board 40000000 (no BMC) -> not associated', a.err, P13 + '/version/rack_1/40000000',
      contains=['not associated with any registered devicebus handler.'])
    c('1.3 text board id -> not associated', a.err, P13 + '/version/rack_1/node-1',
      prefix='Board ID (', contains=['node-1', 'not associated with any registered devicebus handler.'])
    c('1.2 board with bit 30 and no BMC', a.err, P12 + '/version/40000001', prefix='BMC with board_num was not found.')

    # ---- reads
    th = [131.29, 28.78, -4173.97, -8466.32, 40.21, 20.02, -8457.01, 133.64, ERR, ERR, ERR]
    for v, p in (('1.3', P13 + '/read/thermistor/rack_1/00000001/0002'), ('1.2', P12 + '/read/thermistor/1/2')):
        c('%s thermistor check values (0, 656, 32768, 65534, 542, 745, 65463, -10; 65535, "656.0", 2^64+)' % v,
          _seq_reads, a, p, [ERR if x is ERR else T(x) for x in th])
    hu = [(0.0, -40.0), (0.0, 125.01), (100.01, -40.0), (100.01, 125.01), (38.43, 16.24), (100.01, 125.01), ERR, ERR]
    for v, p in (('1.3', P13 + '/read/humidity/rack_1/00000001/0003'), ('1.2', P12 + '/read/humidity/1/3')):
        c('%s humidity check values' % v, _seq_reads, a, p,
          [ERR if x is ERR else {'humidity': x[0], 'temperature_c': x[1]} for x in hu])
    temps = [30.0, 28.78, 21.5, ERR, ERR, 0.25, ERR]
    for v, p in (('1.3', P13 + '/read/temperature/rack_1/00000001/0009'), ('1.2', P12 + '/read/temperature/1/9')):
        c('%s temperature ("30" -> 30.0, nan/inf/overflow -> 500)' % v, _seq_reads, a, p,
          [ERR if x is ERR else T(x) for x in temps])
    fl = ['1e16', '0.0001', '0.00001', '-0.0', '1000000000000000', '123456789.123456789', '5e-324',
          '1.7976931348623157e308', '0.1', '.5', '1.', '+3']
    for v, p in (('1.3', P13 + '/read/temperature/rack_1/00000001/0017'), ('1.2', P12 + '/read/temperature/1/17')):
        c('%s float output texts (repr: 1e+16, 0.0001, 1e-05, -0.0, 1000000000000000.0, ...)' % v, _seq_reads, a, p,
          [T(float(x)) for x in fl])
    c('1.3 pressure "1e3" -> 1000.0, " 7 " -> 7.0', _seq_reads, a, P13 + '/read/pressure/rack_1/00000001/0019',
      [{'pressure_kpa': 1000.0}, {'pressure_kpa': 7.0}])
    c('1.2 pressure "1e3" fails the integer rule, " 7 " -> 7', _seq_reads, a, P12 + '/read/pressure/00000001/0019',
      [ERR, {'device_raw': 7}])
    for v, p in (('1.3', P13 + '/read/current/rack_1/00000001/001a'), ('1.2', P12 + '/read/current/1/1a')):
        c('%s integer rule: "+7", " 42 ", "1e3" fails, "0x10" fails, "-0" -> 0, "" fails' % v, _seq_reads, a, p,
          [{'device_raw': 7}, {'device_raw': 42}, ERR, ERR, {'device_raw': 0}, ERR])
    for v, p in (('1.3', P13 + '/power/rack_1/00000001/0018'), ('1.2', P12 + '/power/00000001/0018')):
        c('%s power status -1 (all bits), beyond 64 bits fails, 2^63-1, negative analog fields, "1.5" fails' % v,
          _seq_reads, a, p, [H.power8('-1,0,0,0'), ERR, H.power8('9223372036854775807,0,0,0'),
                             H.power8('0,-5,-7,0'), ERR])
    c('version payload of 246 bytes', a.ok, P13 + '/version/rack_1/00000008',
      {'api_version': '1.3', 'firmware_version': 'V' * 245 + '!', 'opendcre_version': '1.3.0'})
    c('1.3 pressure -> pressure_kpa number', _seq_reads, a, P13 + '/read/pressure/rack_1/00000001/000a',
      [{'pressure_kpa': 101.0}, {'pressure_kpa': -0.12}])
    c('1.2 pressure -> device_raw integer ("-0.12" fails)', _seq_reads, a, P12 + '/read/pressure/00000001/000a',
      [{'device_raw': 101}, ERR])
    for v, base in (('1.3', P13 + '/read/%s/rack_1/00000001/'), ('1.2', P12 + '/read/%s/00000001/')):
        c(v + ' current -> device_raw', a.ok, base % 'current' + '000b', {'device_raw': 777})
        c(v + ' airflow -> device_raw', a.ok, base % 'airflow' + '0012', {'device_raw': 77})
        c(v + ' power_supply -> device_raw', a.ok, base % 'power_supply' + '0013', {'device_raw': 88})
        c(v + ' none -> device_raw', a.ok, base % 'none' + '0014', {'device_raw': 99})
        c(v + ' unknown type name goes out as 0xFF ("none" device answers)', a.ok, base % 'bogus' + '0014',
          {'device_raw': 99})
        c(v + ' device type is lower-cased', a.ok, base % 'THERMISTOR' + '01FF', T(28.78))
        c(v + ' wrong device type -> silent bus -> 500', a.err, base % 'humidity' + '01ff',
          contains=['00000001', '01ff'])
        c(v + ' device id wider than 16 bits uses its first 4 hex digits', a.ok, base % 'thermistor' + '12345',
          T(H.thermistor(820)))
        c(v + ' led read (state 0 -> off)', a.ok, base % 'led' + '0005', {'led_state': 'off'})
    c('1.3 vapor_fan read -> fan shape', a.ok, P13 + '/read/vapor_fan/rack_1/00000001/0008',
      {'fan_mode': 'auto', 'speed_rpm': 2345})
    c('1.2 vapor_fan read -> device_raw', a.ok, P12 + '/read/vapor_fan/00000001/0008', {'device_raw': 2345})
    big = 12345678901234567890
    c('1.3 fan_speed read: big integer exact, negative kept, leading zeros normalised, text fails', _seq_reads, a,
      P13 + '/read/fan_speed/rack_1/00000001/000c',
      [{'fan_mode': 'auto', 'speed_rpm': big}, {'fan_mode': 'auto', 'speed_rpm': -12345},
       {'fan_mode': 'auto', 'speed_rpm': 4100}, ERR])
    c('1.2 fan_speed read: same values, 1.2 shape', _seq_reads, a, P12 + '/read/fan_speed/00000001/000c',
      [{'speed_rpm': big}, {'speed_rpm': -12345}, {'speed_rpm': 4100}, ERR])
    c('1.3 read of a stateless led: "1" on, "0" off, "2" fails', _seq_reads, a,
      P13 + '/read/led/rack_1/00000001/000d', [{'led_state': 'on'}, {'led_state': 'off'}, ERR])
    c('1.3 read takes one sequence number', a.seq_delta, 1, a.ok, P13 + '/read/thermistor/rack_1/1/1ff', T(28.78))
    c('read with %-escapes and a space in the rack', a.ok, P13 + '/read/thermistor/rack%201/%30%30000001/01ff',
      T(28.78))
    c('%2F separates segments', a.ok, P13 + '/read%2Fthermistor%2Frack_1/00000001/01ff', T(28.78))
    c('dot segments are removed', a.ok, P13 + '/read/thermistor/rack_1/x/../00000001/./01ff', T(28.78))
    c('query string ignored', a.ok, P13 + '/read/thermistor/rack_1/00000001/01ff?a=b/c', T(28.78))
    c('1.3 board 00ffffff and 3fffffff', _seq_reads, a, None, None, pairs=[
        (P13 + '/read/thermistor/rack_1/00ffffff/0001', T(H.thermistor(800))),
        (P13 + '/read/thermistor/rack_1/3fffffff/0001', T(H.thermistor(810))),
        (P12 + '/read/thermistor/ffffff/1', T(H.thermistor(800)))])

    # ---- bus protocol: line noise, stale packets, retries (board 00000002)
    base13 = P13 + '/read/thermistor/rack_1/00000002/'
    base12 = P12 + '/read/thermistor/00000002/'
    proto = [
        ('line noise before the header is skipped', '0001', T(H.thermistor(700)), 1, {}),
        ('a stale packet (wrong sequence number) is skipped', '0002', T(H.thermistor(720)), 1, {}),
        ('bad checksum, one ? retry answers', '0003', T(H.thermistor(740)), 2, {}),
        ('bad checksum, bad trailer, second retry answers', '0004', T(H.thermistor(752)), 3, {}),
        ('corrupt after 3 retries -> 500 (4 packets)', '0005', ERR, 4,
         {'prefix': 'Corrupt packets received (failed checksum validation) - Retry limit reached.',
          'contains': ['00000002', '0005']}),
        ('corrupt, then silence on the retry -> 500 at once', '0006', ERR, 2, {'contains': ['00000002', '0006']}),
        ('retry answered from the normal list', '0007', T(H.thermistor(761)), 2, {}),
        ('truncated packet -> timeout -> 500', '0008', ERR, 1, {}),
        ('trailing garbage after a good packet', '0009', T(H.thermistor(770)), 1, {}),
        ('silence -> 500 naming board and device', '000a', ERR, 1, {'contains': ['00000002', '000a']}),
        ('bytes without a header -> 500', '000b', ERR, 1, {}),
        ('oversized length byte -> 500', '000c', ERR, 1, {}),
        ('only a stale packet -> 500', '000d', ERR, 1, {}),
        ('stale packet before the retry answer', '000e', T(H.thermistor(791)), 2, {}),
    ]
    for title, dev, exp, delta, kw in proto:
        for v, base in (('1.3', base13), ('1.2', base12)):
            c('%s %s (%d sequence numbers)' % (v, title, delta), _timed, 3.0, a.seq_delta, delta, a.get,
              base + dev, exp, **kw)
    c('after trailing garbage the next request is clean', a.ok, base13 + '0001', T(H.thermistor(700)))

    # ---- power
    pw = ['0,0,0,0', '64,0,0,0', '2048,0,0,0', '2056,0,0,0', '2064,0,0,0', '2072,0,0,0', '0,12000,2400,3356',
          ' 0 , 13 , 5 , 5 ']
    c('1.3 power check values, battery form, bad payloads', _seq_reads, a, P13 + '/power/rack_1/00000001/0004',
      [H.power8(x) for x in pw] + [ERR, {'battery_charge_percent': 100, 'battery_status': 'charging'}, ERR, ERR])
    c('1.2 power check values; five fields, battery form and bad payloads fail', _seq_reads, a,
      P12 + '/power/00000001/0004', [H.power8(x) for x in pw] + [ERR, ERR, ERR, ERR])
    on, off = H.power8('0,6043,19199,2155'), H.power8('64,0,0,0')
    c('power round trip (stateful device)', _seq_reads, a, None, None, pairs=[
        (P13 + '/power/rack_1/00000001/000e', on),
        (P13 + '/power/rack_1/00000001/000e/off', off),
        (P13 + '/power/rack_1/00000001/000e/status', off),
        (P12 + '/power/00000001/000e', off),
        (P12 + '/power/00000001/000e/on', on),
        (P12 + '/power/00000001/000e/OFF', off),
        (P12 + '/power/on/00000001/000e', on),
        (P12 + '/power/Off/00000001/000e', off),
        (P12 + '/power/power/on/00000001/000e', on),
        (P12 + '/power/power/00000001/000e/off', off),
        (P12 + '/power/whatever/00000001/000e/cycle', off),
        (P13 + '/power/on/00000001/000e', on),
        (P13 + '/power/off/00000001/000e', off),
        (P13 + '/power/status/00000001/000e/on', off),
        (P13 + '/power/power/rack_1/00000001/000e/on', on),
        (P13 + '/power/power/off/00000001/000e/on', off),
        (P13 + '/power/rack_1/00000001/000e/cycle', off),
        (P13 + '/power/rack_1/00000001/000e/on', on)])
    c('power takes one sequence number', a.seq_delta, 1, a.ok, P13 + '/power/rack_1/1/e/status', on)
    c('1.3 power action is exact lowercase (ON -> 500)', a.err, P13 + '/power/rack_1/00000001/000e/ON')
    c('1.3 old style with ON -> 500', a.err, P13 + '/power/ON/00000001/000e')
    c('1.2 old style on the two-variable route -> device "status" -> 500', a.err, P12 + '/power/on/00000001',
      prefix='Error converting device_num to integer')
    c('1.3 vapor_rectifier: 8 keys', a.ok, P13 + '/power/vapor_rectifier/rack_1/00000001/0010/status',
      H.power8('0,500,1000,2500'))
    c('1.2 vapor_rectifier: 8 keys', a.ok, P12 + '/power/00000001/0010', H.power8('0,500,1000,2500'))
    batt = {'battery_charge_percent': 100, 'battery_status': 'charging'}
    c('1.3 vapor_battery status', a.ok, P13 + '/power/vapor_battery/rack_1/00000001/0011/status', batt)
    c('1.3 battery through the plain power route', a.ok, P13 + '/power/rack_1/00000001/0011', batt)
    c('1.2 battery payload -> 500', a.err, P12 + '/power/00000001/0011')
    c('battery text: non-UTF-8 read as ISO-8859-1, escapes, UTF-8 kept, -0 -> 0', _seq_reads, a,
      P13 + '/power/vapor_battery/rack_1/00000001/0016/status',
      [{'battery_charge_percent': 50, 'battery_status': 'ch\u00e4rging'},
       {'battery_charge_percent': 7, 'battery_status': 'q"u\\o\tte/\u00fc'},
       {'battery_charge_percent': 0, 'battery_status': '\u20ac'}])

    # ---- LED
    c('1.3 led read', a.ok, P13 + '/led/rack_1/00000001/0005', {'led_state': 'off'})
    c('1.3 led on: write + read-back (2 sequence numbers)', a.seq_delta, 2, a.ok, P13 + '/led/rack_1/00000001/0005/on',
      {'led_state': 'on'})
    c('1.2 led read after set', a.ok, P12 + '/led/00000001/0005', {'led_state': 'on'})
    c('1.2 led off', a.ok, P12 + '/led/00000001/0005/off', {'led_state': 'off'})
    c('1.2 led on', a.ok, P12 + '/led/00000001/0005/on', {'led_state': 'on'})
    c('1.3 led no_override writes 0', a.ok, P13 + '/led/rack_1/00000001/0005/no_override', {'led_state': 'off'})
    c('1.3 led read', a.ok, P13 + '/led/rack_1/00000001/0005', {'led_state': 'off'})
    c('1.2 led with a colour -> 500', a.err, P12 + '/led/00000001/0005/on/ff0000',
      prefix='LED color setting is not supported yet.')
    c('1.3 stateless led: W1 then read-back', a.ok, P13 + '/led/rack_1/00000001/000d/on', {'led_state': 'on'})
    c('chassis LED set on a vapor_led device -> no answer -> 500', a.err, P13 + '/led/rack_1/00000001/000f/on')
    c('1.3 five-variable led route does not exist', a.err, P13 + '/led/rack_1/00000001/0005/on/ff0000', status=404,
      message=H.API13_404['message'])

    # ---- chamber LED
    cl = P13 + '/led/%s/00000001/000f/%s/%s/%s'

    def cham(s, col, b):
        return {'blink_state': b, 'led_color': col, 'led_state': s}
    c('chamber LED set on/ff0000/blink', a.seq_delta, 1, a.ok, cl % ('rack_1', 'on', 'ff0000', 'blink'),
      cham('on', 'ff0000', 'blink'))
    c('chamber LED no_override everywhere keeps the state', a.ok,
      cl % ('rack_1', 'no_override', 'no_override', 'no_override'), cham('on', 'ff0000', 'blink'))
    c('chamber LED state is per rack', a.ok, cl % ('rack_2', 'no_override', 'no_override', 'no_override'),
      cham('off', '000000', 'steady'))
    c('chamber LED colour text sent as given', a.ok, cl % ('rack_1', 'off', '0x00FF00', 'steady'),
      cham('off', '0x00FF00', 'steady'))
    c('chamber LED rack id with a comma', a.ok, cl % ('rack%2C1', 'on', '000001', 'steady'),
      cham('on', '000001', 'steady'))
    for title, args in (('colour ffffffff', ('on', 'ffffffff', 'steady')), ('colour 1000000', ('on', '1000000', 'blink')),
                        ('colour -1', ('on', '-1', 'blink')), ('colour zz', ('on', 'zz', 'blink')),
                        ('state dim', ('dim', 'ff0000', 'blink')), ('blink fast', ('on', 'ff0000', 'fast'))):
        c('chamber LED invalid %s -> 500 before bus traffic' % title, a.seq_delta, 0, a.err,
          cl % (('rack_1',) + args), contains=[title.split()[-1]])

    # ---- fan
    c('1.3 fan read', a.ok, P13 + '/fan/rack_1/00000001/0007', {'fan_mode': 'auto', 'speed_rpm': 4100})
    c('1.2 fan read', a.ok, P12 + '/fan/00000001/0007', {'speed_rpm': 4100})
    c('1.3 fan set 5000 (write + read-back)', a.seq_delta, 2, a.ok, P13 + '/fan/rack_1/00000001/0007/5000',
      {'fan_mode': 'auto', 'speed_rpm': 5000})
    c('1.2 fan read after set', a.ok, P12 + '/fan/00000001/0007', {'speed_rpm': 5000})
    c('1.2 fan set 00000000004100 (leading zeros kept on the bus, normalised back)', a.ok,
      P12 + '/fan/00000001/0007/00000000004100', {'speed_rpm': 4100})
    c('fan set 0', a.ok, P13 + '/fan/rack_1/00000001/0007/0', {'fan_mode': 'auto', 'speed_rpm': 0})
    c('fan set 10000', a.ok, P12 + '/fan/00000001/0007/10000', {'speed_rpm': 10000})
    c('1.3 fan read of a vapor_fan device', a.ok, P13 + '/fan/rack_1/00000001/0008', {'fan_mode': 'auto', 'speed_rpm': 2345})
    c('1.2 fan read of a vapor_fan device', a.ok, P12 + '/fan/00000001/0008', {'speed_rpm': 2345})
    c('fan set on a vapor_fan device (fan_speed write matches it)', a.ok, P13 + '/fan/rack_1/00000001/0008/1234',
      {'fan_mode': 'auto', 'speed_rpm': 1234})
    c('fan set answered W0 -> 500 "Error writing to device."', a.err, P13 + '/fan/rack_1/00000001/000c/3000',
      prefix='Error writing to device.')

    # ---- asset, boot target, host info
    asset = {'board_info': {'manufacturer': 'Example Corp', 'part_number': 'PB-100', 'product_name': 'Example Board',
                            'serial_number': 'SB12345'},
             'chassis_info': {'chassis_type': 'rack mount chassis', 'part_number': 'PC-200', 'serial_number': 'SC12345'},
             'product_info': {'asset_tag': 'AT-0001', 'manufacturer': 'Example Corp', 'part_number': 'PP-300',
                              'product_name': 'Example Server', 'serial_number': 'SP12345', 'version': 'v1.0'}}
    empty = {k: {kk: '' for kk in v} for k, v in asset.items()}
    c('1.3 asset: 13 fields; 12 fields fail; empty fields', _seq_reads, a, P13 + '/asset/rack_1/00000001/0006',
      [asset, ERR, empty])
    c('1.3 asset with 2 fields -> 500', a.err, P13 + '/asset/rack_1/00000001/0015')
    c('1.2 PLC asset -> 500', a.err, P12 + '/asset/00000001/0006', prefix='Asset information via PLC not supported yet.')
    c('1.3 boot target round trip', _seq_reads, a, None, None, pairs=[
        (P13 + '/boot_target/rack_1/00000001/0006', {'target': 'no_override'}),
        (P13 + '/boot_target/rack_1/00000001/0006/pxe', {'target': 'pxe'}),
        (P13 + '/boot_target/rack_1/00000001/0006', {'target': 'pxe'}),
        (P13 + '/boot_target/rack_1/00000001/0006/hdd', {'target': 'hdd'}),
        (P13 + '/boot_target/rack_1/00000001/0006', {'target': 'hdd'}),
        (P13 + '/boot_target/rack_1/00000001/0006/no_override', {'target': 'no_override'})])
    c('boot target set takes one sequence number', a.seq_delta, 1, a.ok, P13 + '/boot_target/r/1/6/pxe',
      {'target': 'pxe'})
    c('boot target answer B3 -> 500', a.err, P13 + '/boot_target/rack_1/00000001/0015')
    c('1.2 PLC boot target -> 500', a.err, P12 + '/boot_target/00000001/0006',
      prefix='Boot target operation via PLC not supported yet.')
    c('1.2 PLC boot target set -> 500', a.err, P12 + '/boot_target/00000001/0006/pxe',
      prefix='Boot target operation via PLC not supported yet.')
    c('1.3 host_info: order kept; bad payloads fail', _seq_reads, a, P13 + '/host_info/rack_1/00000001/0006',
      [{'hostnames': ['example-node-1'], 'ip_addresses': ['192.0.2.10']},
       {'hostnames': ['test-a', 'test-b'], 'ip_addresses': ['10.0.0.1', '10.0.0.2']}, ERR, ERR, ERR])
    c('1.2 has no host_info route', a.err, P12 + '/host_info/00000001/0006', status=404, message='404: Not Found')

    # ---- location (no bus traffic)
    for dev in (None, 0x0000, 0x72DF, 0x5555, 0x0200, 0x8302, 0x9F00):
        sfx = '' if dev is None else '/%04X' % dev
        c('1.3 location %s' % (sfx or '(board)'), a.seq_delta, 0, a.ok, P13 + '/location/rack_1/00000001' + sfx,
          H.location(dev))
        c('1.2 location %s' % (sfx or '(board)'), a.seq_delta, 0, a.ok, P12 + '/location/1' + sfx, H.location(dev))
    c('1.2 location: ids only validated (00ffffff)', a.ok, P12 + '/location/00ffffff/72df', H.location(0x72df))
    c('1.2 location: bit-30 id only validated', a.ok, P12 + '/location/40000001', H.location(None))
    c('1.3 location of a PLC-range board with no traffic', a.ok, P13 + '/location/rack_1/00000007/0200',
      H.location(0x200))
    c('1.3 location of an unowned board -> 500', a.err, P13 + '/location/rack_1/50000000',
      contains=['not associated with any registered devicebus handler.'])
    c('location device above 0xFFFF -> 500', a.err, P13 + '/location/rack_1/00000001/10000')
    c('1.2 location text device -> 500', a.err, P12 + '/location/00000001/zz',
      prefix='Error converting device_num to integer')
    c('1.3 location text device -> 500', a.err, P13 + '/location/rack_1/00000001/zz')

    # ---- routing errors, methods, headers
    c('1.3 404 body', a.err, P13 + '/nosuch', status=404, message=H.API13_404['message'])
    c('1.2 404 body', a.err, P12 + '/nosuch', status=404, message='404: Not Found')
    c('unknown version prefix -> 404 with the 1.3 body', a.err, '/opendcre/9.9/test', status=404,
      message=H.API13_404['message'])
    c('1.3 trailing slash -> 404', a.err, P13 + '/scan/', status=404, message=H.API13_404['message'])
    c('1.3 read without rack -> 404', a.err, P13 + '/read/thermistor/00000001/01ff', status=404)
    c('POST /1.3/scan -> 405 with Allow', _method_405, h, 'POST', P13 + '/scan')
    c('PUT /1.2/read -> 405 with Allow (1.2 body)', _method_405, h, 'PUT', P12 + '/read/thermistor/00000001/01ff')
    c('DELETE /opendcre/version -> 405', _method_405, h, 'DELETE', '/opendcre/version')
    c('odd method BREW on /1.3/test -> 405', _method_405, h, 'BREW', P13 + '/test')
    c('odd method on an unknown route -> 404', a.err, P13 + '/nosuch', status=404, method='BREW')
    c('OPTIONS /1.3/test -> 200, Allow with GET and POST, empty body', _options, h, P13 + '/test', ['GET', 'POST'])
    c('OPTIONS on a read route -> 200, no bus traffic', a.seq_delta, 0, _options, h,
      P13 + '/read/thermistor/rack_1/00000001/01ff', ['GET'])
    c('OPTIONS /opendcre/version', _options, h, '/opendcre/version', ['GET', 'POST'])
    c('OPTIONS on an unknown route -> 404', a.err, P12 + '/nosuch', status=404, method='OPTIONS')
    c('HEAD = GET (bus traffic, headers, no body)', a.seq_delta, 1, _head, h,
      P13 + '/read/thermistor/rack_1/00000001/01ff')
    c('HEAD /opendcre/1.2/test', _head, h, P12 + '/test')
    c('1.3 malformed %-escape -> 400 (direct FastCGI: the service body)', _fcgi_400, h,
      P13 + '/version/rack_1/%zz', '1.3')
    c('1.2 malformed %-escape -> 400 (direct FastCGI)', _fcgi_400, h, P12 + '/read/thermistor/%g0/01ff', '1.2')
    c('malformed %-escape through nginx -> 400', lambda: _eq(h.get(P13 + '/version/rack_1/%zz').status, 400))

    # ---- URL handling details (api.md §2.1)
    c('%2e%2e segments are dot segments', a.ok, P13 + '/x/%2e%2e/test', {'status': 'ok'})
    c('fragment cut', a.ok, P13 + '/test#frag/x', {'status': 'ok'})
    c('%3F decodes into the segment (not a query)', a.err, P13 + '/scan/rack%3Fx',
      prefix='No rack found with id: rack?x')
    c('1.3 /test/ (trailing slash) -> 404', a.err, P13 + '/test/', status=404)
    c('//opendcre/1.3/test (FastCGI): leading slashes merged', lambda: expect_ok(h.fcgi('//opendcre//1.3///test'),
                                                                                 {'status': 'ok'}))
    c('.. above the root (FastCGI) -> 400', lambda: expect_error(h.fcgi('/opendcre/1.3/%2e%2e/%2e%2e/%2e%2e/x'),
                                                                400, '1.3'))
    c('no REQUEST_URI: SCRIPT_NAME + PATH_INFO (FastCGI)', lambda: expect_ok(
        h.fcgi('', extra={'REQUEST_URI': None, 'SCRIPT_NAME': '/opendcre/1.3', 'PATH_INFO': '/read/thermistor/r/1/1ff'}),
        T(28.78)))
    c('no REQUEST_URI: PATH_INFO is already decoded, no second decoding (FastCGI)', lambda: expect_error(
        h.fcgi('', extra={'REQUEST_URI': None, 'SCRIPT_NAME': '/opendcre/1.3', 'PATH_INFO': '/scan/a%41'}),
        500, '1.3', prefix='No rack found with id: a%41'))
    c('POST /test with a 200 KB body', a.ok, P13 + '/test', {'status': 'ok'}, method='POST', body=b'x' * 200000)
    c('POST /opendcre/version with a body (FastCGI)', lambda: expect_ok(
        h.fcgi('/opendcre/version', 'POST', body=b'{"a": 1}'), {'version': '1.3'}))
    c('HEAD on an unknown route -> 404 without a body', lambda: _eq(h.request(P13 + '/nosuch', 'HEAD').status, 404))
    c('service still serves', a.ok, P13 + '/test', {'status': 'ok'})


def _eq(a, b):
    assert a == b, '%r != %r' % (a, b)


def _true(x):
    assert x


def _timed(limit, fn, *a, **kw):
    t0 = time.monotonic()
    out = fn(*a, **kw)
    dt = time.monotonic() - t0
    assert dt < limit, 'took %.2f s (limit %.1f s)' % (dt, limit)
    return out


def _seq_reads(a, path, expected, pairs=None):
    """Several requests in order; report every mismatch."""
    pairs = pairs or [(path, e) for e in expected]
    bad = []
    for i, (p, e) in enumerate(pairs):
        try:
            a.get(p, e)
        except AssertionError as ex:
            bad.append('#%d %s' % (i + 1, ex))
    assert not bad, '\n'.join(bad)


def _method_405(h, method, path):
    r = h.request(path, method)
    v = H.version_of(path)
    expect_error(r, 405, v, message=(H.API12_405 if v == '1.2' else H.API13_405)['message'], what=method + ' ' + path)
    allow = r.header1('Allow')
    assert allow and 'GET' in [x.strip() for x in allow.split(',')], 'Allow header %r' % allow


def _options(h, path, methods):
    r = h.request(path, 'OPTIONS')
    assert r.status == 200, 'status %d %r' % (r.status, r.body[:200])
    allow = r.header1('Allow')
    assert allow, 'no Allow header: %r' % r.headers
    got = [x.strip() for x in allow.split(',')]
    for m in methods:
        assert m in got, 'Allow %r lacks %s' % (allow, m)
    if 'POST' not in methods:
        assert 'POST' not in got, 'Allow %r offers POST on a GET-only route' % allow
    assert r.body == b'', 'OPTIONS body %r' % r.body[:200]
    assert r.header('Access-Control-Allow-Origin') == ['*'], r.headers


def _head(h, path):
    r = h.request(path, 'HEAD')
    assert r.status == 200, 'status %d' % r.status
    H.check_common_headers(r, 'HEAD ' + path)
    assert r.body == b'', 'HEAD answered with a body %r' % r.body[:100]


def _fcgi_400(h, uri, v):
    r = h.fcgi(uri)
    if v == '1.2':
        expect_error(r, 400, v, prefix='400: Bad Request (', what='FastCGI ' + uri)
    else:
        expect_error(r, 400, v, prefix='The browser (or proxy) sent a request that this server could not understand. ',
                     what='FastCGI ' + uri)


# ------------------------------------------------------------------------------------------
# scan-all scenarios (emulator.md §8)

def scan_scenarios():
    data = H.load_data('scan.json')
    boards = H.expected_scan_boards(data)
    full13 = {'racks': [{'boards': boards, 'rack_id': 'vapor_plc_rack'}]}
    full12 = {'boards': boards}
    h = H.Harness('scan.json', workers=4, name='scan')
    try:
        h.start()
    except Exception as e:
        R.fail('scan.json: start', e)
        return
    a = Api(h)
    c = R.check
    try:
        c('scenario "ok": 200, all boards, no errors key (scan + save)', a.seq_delta, 2, a.ok, P13 + '/scan/force', full13)
        c('scenario "error, then ok": 200 with every board (one number for the re-send, one for the save)',
          a.seq_delta, 2, a.ok, P13 + '/scan/force', full13)
        c('scenario "error three times": 500, PLC is the only backend (no save)', a.seq_delta, 1, a.err,
          P13 + '/scan/force',
          contains=['Corrupt packets received (failed checksum validation) - Retry limit reached.'])
        c('the failed scan-all left the cache alone: 1.3 /scan', a.seq_delta, 0, a.ok, P13 + '/scan', full13)
        c('the failed scan-all left the cache alone: 1.2 /scan', a.seq_delta, 0, a.ok, P12 + '/scan', full12)
        c('scenarios wrap around: "ok" again', a.ok, P13 + '/scan/force', full13)
        c('single-board scans get no error injection', a.seq_delta, 1, a.ok, P12 + '/scan/00000011',
          {'boards': [boards[0]]})
        c('"error, then ok" again after the wrap', a.ok, P13 + '/scan/force', full13)
        c('"error three times" again -> 500', a.err, P13 + '/scan/force', contains=['Corrupt packets received'])
        c('reads still work', a.ok, P13 + '/read/humidity/rack_1/00000012/01ff', H.humidity(1486313281))
    finally:
        R.harness_problems(h, 'scan.json: no crashes, clean shutdown')


def scan_all_fail():
    h = H.Harness('scan_fail.json', workers=2, name='scanfail')
    try:
        h.start()
    except Exception as e:
        R.fail('scan_fail.json: start', e)
        return
    a = Api(h)
    c = R.check
    try:
        msg = 'Corrupt packets received (failed checksum validation) - Retry limit reached.'
        c('1.2 /scan, scan-all corrupt three times -> 500 (1.2 body)', a.err, P12 + '/scan', contains=[msg])
        c('no cache written by a failed scan-all', lambda: _true(not os.path.exists(h.cachefile)))
        c('1.3 /scan -> 500 (1.3 body)', a.err, P13 + '/scan', contains=[msg])
        c('1.3 /scan/vapor_plc_rack -> 500', a.err, P13 + '/scan/vapor_plc_rack')
        c('single-board scan still works', a.ok, P13 + '/scan/rack_1/00000012',
          {'boards': [{'board_id': '00000012', 'devices': [{'device_id': '0001', 'device_type': 'temperature'},
                                                           {'device_id': '01ff', 'device_type': 'humidity'}]}]})
    finally:
        R.harness_problems(h, 'scan_fail.json: no crashes, clean shutdown')


def cache_expiry():
    h = H.Harness('concurrency.json', workers=2, name='expiry', scan_cache={'cache_timeout': 2})
    try:
        h.start()
    except Exception as e:
        R.fail('cache expiry: start', e)
        return
    a = Api(h)
    c = R.check
    boards = H.expected_scan_boards(H.load_data('concurrency.json'))
    exp = {'racks': [{'boards': boards, 'rack_id': 'vapor_plc_rack'}]}
    try:
        t0 = time.monotonic()
        c('cache_timeout 2: first /scan is live', a.seq_delta, 2, a.ok, P13 + '/scan', exp)
        if time.monotonic() - t0 < 0.9:
            c('cache_timeout 2: /scan right after is cached', a.seq_delta, 0, a.ok, P13 + '/scan', exp)
        time.sleep(max(0.0, t0 + 3.2 - time.monotonic()))   # let the cache expire (a time rule, not readiness)
        c('cache_timeout 2: expired cache -> live scan', a.seq_delta, 2, a.ok, P12 + '/scan', {'boards': boards})
    finally:
        R.harness_problems(h, 'cache expiry: no crashes, clean shutdown')


if __name__ == '__main__':
    main()
