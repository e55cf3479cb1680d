#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A table of bad inputs: each gets the right status and JSON error body, and the service keeps
serving (/test answers after each one).

nginx refuses some targets itself (a malformed %-escape, %00, a raw NUL, a `..` above the
root); the shipped snippet's error_page hands those request lines to the service, so they get
the service's JSON 400 too. They are checked through nginx and straight on the service's
FastCGI socket (api.md §2.1).
"""

import harness as H
from harness import expect_error, expect_ok

P12 = '/opendcre/1.2'
P13 = '/opendcre/1.3'
R = H.Runner('test_bad_input')

NOT_ASSOC = 'not associated with any registered devicebus handler.'
B12 = 'Error converting board_num to integer'
D12 = 'Error converting device_num to integer'
BMC12 = 'BMC with board_num was not found.'
BAD13 = 'The browser (or proxy) sent a request that this server could not understand. '
BAD12 = '400: Bad Request ('

# (title, method, target, status, expectations)   expectations: message / prefix / contains
CASES = [
    # ---- 1.2 board and device ids (api.md §4.3)
    ('1.2 non-hex board', 'GET', P12 + '/read/thermistor/xyz/01ff', 500, {'prefix': B12}),
    ('1.2 board "0x" without digits', 'GET', P12 + '/read/thermistor/0x/01ff', 500, {'prefix': B12}),
    ('1.2 board with an inner space', 'GET', P12 + '/read/thermistor/1%202/01ff', 500, {'prefix': B12}),
    ('1.2 board above 0x00FFFFFF without bit 30', 'GET', P12 + '/read/thermistor/01000000/01ff', 500, {'prefix': B12}),
    ('1.2 board 0x20000000', 'GET', P12 + '/read/thermistor/20000000/01ff', 500, {'prefix': B12}),
    ('1.2 board 0x10000000', 'GET', P12 + '/read/thermistor/10000000/01ff', 500, {'prefix': B12}),
    ('1.2 board 0x80000000', 'GET', P12 + '/read/thermistor/80000000/01ff', 500, {'prefix': B12}),
    ('1.2 board 0xAAAAAAAA', 'GET', P12 + '/read/thermistor/AAAAAAAA/01ff', 500, {'prefix': B12}),
    ('1.2 negative board', 'GET', P12 + '/read/thermistor/-1/01ff', 500, {'prefix': B12}),
    ('1.2 board 0xFFFFFFFF (bit 30, no BMC)', 'GET', P12 + '/read/thermistor/ffffffff/01ff', 500, {'prefix': BMC12}),
    ('1.2 board 0xFFFFFFFFFFFFFFFF (bit 30, no BMC)', 'GET', P12 + '/read/thermistor/ffffffffffffffff/01ff', 500,
     {'prefix': BMC12}),
    ('1.2 board 0x40000001 (no BMC configured)', 'GET', P12 + '/version/40000001', 500, {'prefix': BMC12}),
    ('1.2 non-hex device', 'GET', P12 + '/read/thermistor/00000001/zz', 500, {'prefix': D12}),
    ('1.2 negative device', 'GET', P12 + '/read/thermistor/00000001/-1', 500, {'prefix': D12}),
    ('1.2 version of a non-hex board', 'GET', P12 + '/version/g1', 500, {'prefix': B12}),
    ('1.2 scan of a non-hex board', 'GET', P12 + '/scan/xyz', 500, {'prefix': B12}),
    ('1.2 power of a non-hex board', 'GET', P12 + '/power/xyz/0004', 500, {'prefix': B12}),
    ('1.2 fan of a non-hex device', 'GET', P12 + '/fan/00000001/zz', 500, {'prefix': D12}),
    ('1.2 led of a non-hex device', 'GET', P12 + '/led/00000001/-5', 500, {'prefix': D12}),
    ('1.2 location of a non-hex board', 'GET', P12 + '/location/zz', 500, {'prefix': B12}),
    ('1.2 non-UTF-8 board id', 'GET', b'/opendcre/1.2/version/\xff\xfe', 500, {'prefix': B12}),
    # ---- 1.3 ids (api.md §4.4)
    ('1.3 text board (no bridge boards)', 'GET', P13 + '/read/thermistor/rack_1/xyz/01ff', 500,
     {'prefix': 'Board ID (', 'contains': ['xyz', NOT_ASSOC]}),
    ('1.3 board 0x50000000', 'GET', P13 + '/read/thermistor/rack_1/50000000/01ff', 500,
     {'prefix': 'Board ID (0x50000000) ' + NOT_ASSOC}),
    ('1.3 board 0x40000000', 'GET', P13 + '/version/rack_1/40000000', 500, {'contains': [NOT_ASSOC]}),
    ('1.3 board 0x70000000', 'GET', P13 + '/version/rack_1/70000000', 500, {'contains': [NOT_ASSOC]}),
    ('1.3 board 0x80000000', 'GET', P13 + '/version/rack_1/80000000', 500, {'contains': [NOT_ASSOC]}),
    ('1.3 board 0xFFFFFFFF', 'GET', P13 + '/version/rack_1/ffffffff', 500, {'contains': [NOT_ASSOC]}),
    ('1.3 board above 32 bits (kept as text)', 'GET', P13 + '/version/rack_1/100000000', 500, {'contains': [NOT_ASSOC]}),
    ('1.3 negative board (kept as text)', 'GET', P13 + '/version/rack_1/-1', 500, {'contains': [NOT_ASSOC]}),
    ('1.3 text device on a PLC board', 'GET', P13 + '/read/thermistor/rack_1/00000001/zz', 500, {}),
    ('1.3 negative device on a PLC board', 'GET', P13 + '/read/thermistor/rack_1/00000001/-1', 500, {}),
    ('1.3 location device above 0xFFFF', 'GET', P13 + '/location/rack_1/00000001/10000', 500, {}),
    ('1.3 non-UTF-8 board id', 'GET', b'/opendcre/1.3/version/rack_1/\xe9t\xe9', 500,
     {'contains': ['\u00e9t\u00e9', NOT_ASSOC]}),
    ('1.3 unknown rack, non-UTF-8 bytes echoed as ISO-8859-1', 'GET', b'/opendcre/1.3/scan/\xff\xfe', 500,
     {'prefix': 'No rack found with id: \u00ff\u00fe'}),
    ('1.3 unknown rack from %FF escapes', 'GET', P13 + '/scan/r%FFx', 500, {'prefix': 'No rack found with id: r\u00ffx'}),
    # ---- unknown device type: goes out with code 0xFF, the bus stays silent
    ('1.3 unknown device type', 'GET', P13 + '/read/bogus/rack_1/00000001/01ff', 500, {'contains': ['00000001']}),
    ('1.2 unknown device type', 'GET', P12 + '/read/bogus/00000001/01ff', 500, {'contains': ['00000001']}),
    ('1.3 wrong device type for the device', 'GET', P13 + '/read/humidity/rack_1/00000001/01ff', 500, {}),
    ('1.3 missing board on the bus', 'GET', P13 + '/read/thermistor/rack_1/0000abcd/01ff', 500,
     {'contains': ['0000abcd']}),
    # ---- unknown routes (404)
    ('1.3 unknown route', 'GET', P13 + '/nosuch', 404, {'message': H.API13_404['message']}),
    ('1.2 unknown route', 'GET', P12 + '/nosuch', 404, {'message': '404: Not Found'}),
    ('unknown API version', 'GET', '/opendcre/1.1/test', 404, {'message': H.API13_404['message']}),
    ('/opendcre/version/x', 'GET', '/opendcre/version/x', 404, {'message': H.API13_404['message']}),
    ('1.3 trailing slash', 'GET', P13 + '/version/rack_1/', 404, {'message': H.API13_404['message']}),
    ('1.3 too many segments', 'GET', P13 + '/test/x', 404, {}),
    ('1.3 read without rack id', 'GET', P13 + '/read/thermistor/00000001/01ff', 404, {}),
    ('1.3 five-variable led route', 'GET', P13 + '/led/rack_1/00000001/0005/on/ff0000', 404, {}),
    ('1.2 chamber led route', 'GET', P12 + '/led/00000001/000f/on/ff0000/blink', 404, {'message': '404: Not Found'}),
    ('1.2 host_info', 'GET', P12 + '/host_info/00000001/0006', 404, {}),
    ('1.2 /scan/force/x', 'GET', P12 + '/scan/force/x', 404, {}),
    ('8 KiB of path', 'GET', P13 + '/' + 'x' * 8192, 404, {'message': H.API13_404['message']}),
    ('unknown route with an odd method (404 before 405)', 'MKCOL', P12 + '/nosuch', 404, {}),
    # ---- wrong methods (405)
    ('POST on a GET route (1.3)', 'POST', P13 + '/scan', 405, {'message': H.API13_405['message']}),
    ('POST on a GET route (1.2)', 'POST', P12 + '/read/thermistor/00000001/01ff', 405,
     {'message': '405: Method Not Allowed'}),
    ('PUT /test', 'PUT', P13 + '/test', 405, {}),
    ('DELETE /opendcre/version', 'DELETE', '/opendcre/version', 405, {}),
    ('PATCH power', 'PATCH', P13 + '/power/rack_1/00000001/0004/on', 405, {}),
    ('odd method FOO', 'FOO', P12 + '/test', 405, {'message': '405: Method Not Allowed'}),
    # ---- fan speed (conversions.md §9, api.md §6.10)
    ('1.3 fan speed -4100', 'GET', P13 + '/fan/rack_1/00000001/0007/-4100', 500, {'contains': ['-4100']}),
    ('1.3 fan speed faster', 'GET', P13 + '/fan/rack_1/00000001/0007/faster', 500, {'contains': ['faster']}),
    ('1.3 fan speed 10001', 'GET', P13 + '/fan/rack_1/00000001/0007/10001', 500, {'contains': ['10001']}),
    ('1.3 fan speed 2^64+', 'GET', P13 + '/fan/rack_1/00000001/0007/12345678901234567890', 500,
     {'contains': ['12345678901234567890']}),
    ('1.3 fan speed 4.0', 'GET', P13 + '/fan/rack_1/00000001/0007/4.0', 500, {'contains': ['4.0']}),
    ('1.3 fan speed 1e3', 'GET', P13 + '/fan/rack_1/00000001/0007/1e3', 500, {'contains': ['1e3']}),
    ('1.2 fan speed -4100', 'GET', P12 + '/fan/00000001/0007/-4100', 500, {'contains': ['-4100']}),
    ('1.2 fan speed faster', 'GET', P12 + '/fan/00000001/0007/faster', 500, {'contains': ['faster']}),
    ('1.2 fan speed 10001', 'GET', P12 + '/fan/00000001/0007/10001', 500, {'contains': ['10001']}),
    ('1.2 fan speed 2^64+', 'GET', P12 + '/fan/00000001/0007/12345678901234567890', 500,
     {'contains': ['12345678901234567890']}),
    # ---- power action (api.md §6.5)
    ('1.3 power action reboot', 'GET', P13 + '/power/rack_1/00000001/0004/reboot', 500, {'contains': ['reboot']}),
    ('1.3 power action ON (exact lowercase only)', 'GET', P13 + '/power/rack_1/00000001/0004/ON', 500,
     {'contains': ['ON']}),
    ('1.3 power action Cycle with device type', 'GET', P13 + '/power/power/rack_1/00000001/0004/Cycle', 500,
     {'contains': ['Cycle']}),
    ('1.2 power action reboot', 'GET', P12 + '/power/00000001/0004/reboot', 500, {'contains': ['reboot']}),
    ('1.2 power action with device type', 'GET', P12 + '/power/power/00000001/0004/restart', 500,
     {'contains': ['restart']}),
    # ---- LED state (api.md §6.9)
    ('1.3 led state blink', 'GET', P13 + '/led/rack_1/00000001/0005/blink', 500, {'contains': ['blink']}),
    ('1.3 led state 1', 'GET', P13 + '/led/rack_1/00000001/0005/1', 500, {}),
    ('1.2 led state no_override (1.2: on/off only)', 'GET', P12 + '/led/00000001/0005/no_override', 500,
     {'contains': ['no_override']}),
    ('1.2 led state flash', 'GET', P12 + '/led/00000001/0005/flash', 500, {'contains': ['flash']}),
    ('1.3 chamber led state dim', 'GET', P13 + '/led/rack_1/00000001/000f/dim/ff0000/blink', 500, {'contains': ['dim']}),
    ('1.3 chamber led colour ffffffff', 'GET', P13 + '/led/rack_1/00000001/000f/on/ffffffff/blink', 500,
     {'contains': ['ffffffff']}),
    ('1.3 chamber led blink fast', 'GET', P13 + '/led/rack_1/00000001/000f/on/ff0000/fast', 500, {'contains': ['fast']}),
    # ---- boot target (api.md §6.7)
    ('1.3 boot target cdrom', 'GET', P13 + '/boot_target/rack_1/00000001/0006/cdrom', 500, {'contains': ['cdrom']}),
    ('1.3 boot target PXE (exact words only)', 'GET', P13 + '/boot_target/rack_1/00000001/0006/PXE', 500,
     {'contains': ['PXE']}),
    ('1.2 boot target (PLC: not supported)', 'GET', P12 + '/boot_target/00000001/0006/cdrom', 500, {}),
]

# Requests rejected by validation send nothing on the bus (plc-protocol.md §6, api.md §6.7, §6.9).
NO_TRAFFIC = ('led state', 'chamber led', 'boot target cdrom', 'boot target PXE', 'unknown route', 'trailing slash',
              'non-hex', 'negative', 'POST on', 'PUT', 'DELETE', 'PATCH', 'odd method', '0x50000000', '0x40000000')

# Targets nginx refuses itself. Checked through nginx (the snippet's error_page hands them to the
# service) and straight to the service over FastCGI: JSON 400 of the version (api.md §2.1, §3.1).
NGINX_400 = [
    ('1.3 malformed %-escape %zz', P13 + '/version/rack_1/%zz', '1.3'),
    ('1.3 truncated %-escape at the end', P13 + '/scan/rack_1/00000001%4', '1.3'),
    ('1.3 lone % at the end', P13 + '/test%', '1.3'),
    ('1.2 malformed %-escape', P12 + '/read/thermistor/%g0/01ff', '1.2'),
    ('1.2 %00 (decoded NUL)', P12 + '/test%00', '1.2'),
    ('1.3 %00 (decoded NUL)', P13 + '/scan/rack%00x', '1.3'),
    ('unknown route with a bad escape (400 before 404)', P13 + '/nosuch%zz', '1.3'),
    ('.. above the root', '/opendcre/../../../etc/passwd', None),
]


def main():
    H.require_tools()
    h = H.Harness('api.json', workers=4, name='badinput')
    try:
        h.start()
    except Exception as e:
        R.fail('start', e)
        R.finish()
    try:
        run(h)
    finally:
        R.harness_problems(h, 'no crashes, clean shutdown')
    R.finish()


def still_serving(h):
    r = h.get(P13 + '/test')
    expect_ok(r, {'status': 'ok'}, 'GET /opendcre/1.3/test after the bad request')


def run(h):
    for title, method, target, status, kw in CASES:
        def one(method=method, target=target, status=status, kw=kw, title=title):
            s0 = h.seq()
            r = h.request(target, method)
            expect_error(r, status, H.version_of(target), what='%s %r' % (method, target[:120]), **kw)
            if any(k in title for k in NO_TRAFFIC):
                s1 = h.seq()
                assert s1 == s0, 'rejected request used the bus: sequence counter %d -> %d' % (s0, s1)
            if status == 405:
                allow = r.header1('Allow')
                assert allow and 'GET' in [x.strip() for x in allow.split(',')], '405 without a usable Allow: %r' % allow
            still_serving(h)
        R.check('%s -> %d' % (title, status), one)

    for title, target, v in NGINX_400:
        def via_nginx(target=target, v=v):
            # nginx refuses these itself; the shipped snippet's error_page hands the
            # request line to the service, which answers the version's JSON 400.
            r = h.get(target)
            expect_error(r, 400, v or '1.3', prefix=BAD12 if v == '1.2' else BAD13,
                         what='nginx ' + target)
            still_serving(h)

        def direct(target=target, v=v):
            r = h.fcgi(target)
            vv = v or '1.3'
            if v is None:   # `..` above the root: 400; the raw prefix is not /opendcre/1.x/ -> 1.3 body
                expect_error(r, 400, vv, prefix=BAD13, what='FastCGI ' + target)
            elif v == '1.2':
                expect_error(r, 400, vv, prefix=BAD12, what='FastCGI ' + target)
            else:
                expect_error(r, 400, vv, prefix=BAD13, what='FastCGI ' + target)
            still_serving(h)
        R.check('%s -> 400 (through nginx)' % title, via_nginx)
        R.check('%s -> JSON 400 from the service (FastCGI)' % title, direct)

    def raw_nul():
        r = h.raw(b'GET /opendcre/1.3/te\x00st HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
        expect_error(r, 400, '1.3', prefix=BAD13, what='raw NUL through nginx')
        still_serving(h)
    R.check('raw NUL byte in the request line -> 400 (nginx), service unaffected', raw_nul)

    def raw_non_utf8_ok():
        r = h.get(b'/opendcre/1.3/read/thermistor/r\xe9\xff/00000001/01ff')
        expect_ok(r, {'temperature_c': 28.78}, 'non-UTF-8 rack id')
        still_serving(h)
    R.check('raw non-UTF-8 bytes in an ignored rack id -> 200', raw_non_utf8_ok)

    def long_board():
        target = P13 + '/read/thermistor/rack_1/' + '0' * 8192 + '1/01ff'
        assert len(target) > 8192
        expect_ok(h.get(target), {'temperature_c': 28.78}, '8 KiB board id')
        expect_ok(h.get(P12 + '/read/thermistor/' + '0' * 8192 + '1/01ff'), {'temperature_c': 28.78}, '1.2 8 KiB')
        still_serving(h)
    R.check('8 KiB URL: a board id with 8192 leading zeros -> 200 (any number of leading zeros)', long_board)

    def long_rack():
        r = h.get(P13 + '/scan/' + 'r' * 8192)
        expect_error(r, 500, '1.3', prefix='No rack found with id: rrrr')
        still_serving(h)
    R.check('8 KiB rack id -> 500 No rack found', long_rack)

    def long_fcgi():
        r = h.fcgi(P13 + '/version/rack_1/' + '0' * 60000 + '1')
        expect_ok(r, None, 'FastCGI 60 KB URI')
        assert r.json()['api_version'] == '1.3'
    R.check('60 KB request URI straight over FastCGI -> 200', long_fcgi)

    def garbage_fcgi_params():
        # REQUEST_URI that is not a path at all, and a missing REQUEST_METHOD
        r = h.fcgi('*', 'OPTIONS')
        assert r.status in (400, 404), r
        H.check_common_headers(r, 'FastCGI *')
        still_serving(h)
    R.check('request target "*" -> 400/404 JSON', garbage_fcgi_params)

    def many_bad_in_a_row():
        for i in range(200):
            t = [P13 + '/fan/rack_1/00000001/0007/-%d' % (i + 1), P12 + '/read/thermistor/zz%d/01ff' % i,
                 P13 + '/nosuch/%d' % i, P13 + '/led/rack_1/1/5/x%d' % i][i % 4]
            r = h.get(t)
            assert r.status in (404, 500), (t, r)
            H.check_common_headers(r, t)
        still_serving(h)
        assert not h.check_alive(), h.check_alive()
    R.check('200 bad requests in a row: all answered, no worker lost', many_bad_in_a_row)


if __name__ == '__main__':
    main()
