#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Faults of a Redfish service and the documented outcomes (redfish.md §3, §4, §7), with a
1.5 s timeout and one worker, so a hung worker would show at once:

* an answer later than the timeout -> 500 "timed out" within the timeout (plus slack), and the
  next request is served normally;
* 503 + Retry-After, 500 with an HTML, empty or text body -> 500 naming the status (no waiting);
* truncated JSON -> 500 "not a JSON object"; the connection closed mid-body or without an
  answer -> 500 "connection closed";
* an expired session -> re-login once, success; a 401 that persists -> "authentication failed";
* a 202 action with a task monitor -> followed to completion; a task longer than the timeout ->
  500;
* PowerState polled up to power_wait after a reset (transitional states reported);
* same-host 307/308 of a GET followed; a redirect to another host or of a PATCH -> 500 and
  nothing sent to the other host;
* a known link answering 404 -> discovery again, success; /redfish missing -> /redfish/v1;
  a paged collection followed through Members@odata.nextLink;
* an unreachable server and a server whose /redfish hangs -> 500 at once (no further
  requests), and listed in the errors of a scan-all that still answers 200.
"""

import shutil
import socket
import tempfile
import time

import rfhelp as RH

H = RH.H
R = H.Runner('test_redfish_faults')
P12 = '/opendcre/1.2'
P13 = '/opendcre/1.3'
TIMEOUT = 1.5
SLACK = 0.8                  # process and TLS overhead allowed beyond a timeout (ASan builds)
TEMP = {'health': 'ok', 'states': [], 'temperature_c': 38.0}


def timed(h, uri):
    t0 = time.monotonic()
    r = h.fcgi(uri, timeout=30)
    return r, time.monotonic() - t0


def fails(h, uri, contains, max_s, min_s=0.0):
    r, dt = timed(h, uri)
    H.expect_error(r, 500, H.version_of(uri), contains=contains, what=uri)
    assert min_s <= dt <= max_s, 'answered after %.2f s, expected %.1f-%.1f s' % (dt, min_s, max_s)
    return r.json()['message']


def works(h, uri, expected, max_s=TIMEOUT, min_s=0.0):
    r, dt = timed(h, uri)
    H.expect_ok(r, expected, uri)
    assert min_s <= dt <= max_s, 'answered after %.2f s, expected %.1f-%.1f s' % (dt, min_s, max_s)


def gets(srv, path, method='GET'):
    return sum(1 for r in srv.stats()['requests'] if r['method'] == method and r['path'] == path)


def dead_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main():
    RH.require_tools()
    tmp = tempfile.mkdtemp(prefix='opendcre-rf-faults-')
    servers = []

    def mk(name, fixture='single', **opts):
        s = RH.RedfishServer(fixture, certs, options=opts, log_dir=tmp, name=name).start()
        servers.append(s)
        return s
    try:
        certs = RH.make_certs(tmp)
        f = mk('f')
        other = mk('other')
        noroot = mk('noroot', redfish_root=False)
        multi = mk('multi', 'multinode', page_size=1)
        task = mk('task', reset_code=202, task_seconds=0.4)
        delay = mk('delay', reset_delay=1.2)
        delay2 = mk('delay2', reset_delay=5)
        slow = mk('slow')
        slow.fault(method='GET', path='/redfish', kind='delay', seconds=TIMEOUT + 0.6, count=-1)
        entries = [RH.server_entry(f, hostnames=['main']),
                   RH.server_entry(noroot, hostnames=['noroot']),
                   RH.server_entry(multi, hostnames=['multi']),
                   RH.server_entry(task, hostnames=['task']),
                   RH.server_entry(delay, hostnames=['delay'], power_wait=3),
                   RH.server_entry(delay2, hostnames=['delay2'], power_wait=1),
                   {'redfish_ip': '127.0.0.1', 'redfish_port': dead_port(), 'username': 'admin',
                    'password': RH.PASSWORD, 'hostnames': ['gone']},
                   RH.server_entry(slow, hostnames=['slow'])]
        cfg = {'timeout': TIMEOUT, 'power_wait': 0, 'ca_file': certs['ca'],
               'racks': [{'rack_id': 'r', 'servers': entries}]}
        h = RH.RfHarness(cfg, workers=1, name='rf-faults')
        h.start()
    except Exception as e:
        R.fail('set-up', e)
        for s in servers:
            s.stop()
        R.finish()
    try:
        run(h, f, other, noroot, multi, task, delay, delay2, slow)
    except Exception as e:
        R.fail('fault run', e)
    R.harness_problems(h, 'one worker throughout (none hung or replaced), no crashes, clean shutdown')
    for s in servers:
        s.stop()
    if not R.failed and not H.KEEP:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        H.log('Redfish server logs kept in', tmp)
    R.finish()


def run(h, f, other, noroot, multi, task, delay, delay2, slow):
    temp = P13 + '/read/temperature/r/main/0004'
    thermal = '/redfish/v1/Chassis/1/Thermal'
    R.check('baseline read', works, h, temp, TEMP, max_s=5)
    pids = h.worker_pids()

    # ---- timeouts and bad answers
    f.fault(method='GET', path=thermal, kind='delay', seconds=TIMEOUT + 0.6)
    R.check('answer later than the timeout -> 500 "timed out" within the timeout', fails, h, temp,
            ['Redfish board 70000000 (https://127.0.0.1:%d)' % f.port, 'GET ' + thermal,
             'timed out after %g s' % TIMEOUT], TIMEOUT + SLACK, TIMEOUT - 0.1)
    R.check('  the next request is served', works, h, temp, TEMP)
    f.fault(method='GET', path=thermal, kind='status', status=503, retry_after=7)
    R.check('503 + Retry-After -> 500 at once, naming both', fails, h, temp,
            ['GET %s answered 503' % thermal, 'Retry-After: 7', 'ServiceTemporarilyUnavailable'], 0.9)
    f.fault(method='GET', path='/redfish/v1/Chassis/1/Power', kind='status', status=500, body='html')
    R.check('500 with an HTML body -> 500', fails, h, P13 + '/power/r/main/0100',
            ['GET /redfish/v1/Chassis/1/Power answered 500'], 0.9)
    f.fault(method='GET', path=thermal, kind='status', status=500, body='empty')
    R.check('500 with an empty body -> 500', fails, h, temp, ['answered 500'], 0.9)
    f.fault(method='GET', path=thermal, kind='status', status=503, body='text')
    R.check('503 with a text body -> 500', fails, h, temp, ['answered 503'], 0.9)
    f.fault(method='GET', path='/redfish/v1/Systems/1', kind='truncated')
    R.check('truncated JSON -> 500 "not a JSON object"', fails, h, P13 + '/power/r/main/0100',
            ['GET /redfish/v1/Systems/1 answered 200 with a body that is not a JSON object'], 0.9)
    f.fault(method='GET', path='/redfish/v1/Chassis/1', kind='close_mid_body')
    R.check('connection closed mid-body -> 500', fails, h, P13 + '/led/r/main/0300',
            ['GET /redfish/v1/Chassis/1', 'connection closed before the whole answer'], 0.9)
    f.fault(method='GET', path='/redfish/v1/Managers/1', kind='close', count=-1)
    R.check('connection closed without an answer -> 500', fails, h, P13 + '/asset/r/main/0200',
            ['GET /redfish/v1/Managers/1', 'connection closed'], 0.9)
    f.clear_faults()
    R.check('  the next request is served', works, h, temp, TEMP)

    # ---- sessions
    f.reset_stats()
    f.control('expire_sessions', {})
    R.check('expired session -> re-login once, success', works, h, temp, TEMP)

    def one_more_login():
        st = f.stats()
        assert st['logins'] == 1 and sum(r['status'] == 401 for r in st['requests']) == 1, \
            'logins %d' % st['logins']
    R.check('  one login, one 401', one_more_login)
    f.fault(method='GET', path=thermal, kind='status', status=401, count=-1)
    R.check('401 that persists after the re-login -> 500 "authentication failed (401)"', fails, h, temp,
            ['GET %s: authentication failed (401)' % thermal], 0.9)
    f.clear_faults()

    # ---- actions: task monitor, PowerState polling
    R.check('202 + task monitor followed to completion', works, h, P13 + '/power/r/task/0100/off',
            {'input_power': 0.0, 'over_current': False, 'power_ok': True, 'power_status': 'off'},
            max_s=TIMEOUT + SLACK, min_s=0.35)

    def polled_monitor():
        st = task.stats()
        mon = [r for r in st['requests'] if r['path'].startswith('/redfish/v1/TaskService/TaskMonitors/')]
        assert mon and mon[-1]['status'] == 200 and all(r['status'] == 202 for r in mon[:-1]), mon
    R.check('  the monitor answered 202 until done, then 200', polled_monitor)
    task.options_set(task_seconds=5)
    R.check('a task longer than the timeout -> 500', fails, h, P13 + '/power/r/task/0100/on',
            ['POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset', 'not done within %g s' % TIMEOUT],
            TIMEOUT + SLACK, TIMEOUT - 0.1)
    R.check('power off waits for PowerState Off (delay 1.2 s, power_wait 3 s)', works, h,
            P13 + '/power/r/delay/0100/off',
            {'input_power': 0.0, 'over_current': False, 'power_ok': True, 'power_status': 'off'},
            max_s=3.5, min_s=1.1)
    R.check('power_wait 1 s shorter than the change: the last state read', works, h,
            P13 + '/power/r/delay2/0100/off',
            {'input_power': 344.0, 'over_current': False, 'power_ok': True, 'power_status': 'poweringoff'},
            max_s=1 + SLACK + 0.5, min_s=0.9)

    # ---- redirects
    f.reset_stats()
    f.fault(method='GET', path='/redfish/v1/Chassis/1', kind='redirect', status=307,
            location='/redfish/v1/Chassis/1')
    R.check('same-host 307 of a GET is followed', works, h, P13 + '/led/r/main/0300', {'led_state': 'off'})
    f.fault(method='GET', path='/redfish/v1/Chassis/1', kind='redirect', status=308,
            location='https://127.0.0.1:%d/redfish/v1/Chassis/1' % f.port)
    R.check('same-host 308 (absolute URL) is followed', works, h, P13 + '/led/r/main/0300', {'led_state': 'off'})
    R.check('  the resource was read after each redirect', lambda: gets(f, '/redfish/v1/Chassis/1') == 4 or
            (_ for _ in ()).throw(AssertionError(gets(f, '/redfish/v1/Chassis/1'))))
    other.reset_stats()
    away = 'https://127.0.0.1:%d/redfish/v1/Chassis/1' % other.port
    f.fault(method='GET', path='/redfish/v1/Chassis/1', kind='redirect', status=307, location=away)
    R.check('redirect to another host -> 500, not followed', fails, h, P13 + '/led/r/main/0300',
            ['GET /redfish/v1/Chassis/1 answered 307 to ' + away, 'another host; not followed'], 0.9)

    def nothing_sent():
        st = other.stats()
        assert st['connections'] == 0 and not st['requests'], 'the other host got %r' % st['requests']
    R.check('  nothing (no credentials, no token) reached the other host', nothing_sent)
    f.fault(method='PATCH', path='/redfish/v1/Chassis/1', kind='redirect', status=307,
            location='/redfish/v1/Chassis/1')
    R.check('redirect of a PATCH -> 500', fails, h, P13 + '/led/r/main/0300/on',
            ['PATCH /redfish/v1/Chassis/1 answered 307', 'not followed'], 0.9)
    f.clear_faults()

    # ---- discovery
    f.fault(method='GET', path=thermal, kind='status', status=404)
    R.check('a known link answering 404 -> discovery again, success', works, h, temp, TEMP)

    def rediscovered():
        assert 'discovering the service again' in h.log_text()
    R.check('  logged', rediscovered)
    R.check('/redfish answering 404 -> /redfish/v1 is the root', works, h, P13 + '/version/r/noroot', None)
    R.check('  and discovery works from there', works, h, P12 + '/read/voltage/%s/0007' % '70000001',
            {'voltage': 12.06})

    def root_fallback():
        paths = [r['path'] for r in noroot.stats()['requests']][:2]
        assert paths == ['/redfish', '/redfish/v1'], paths
    R.check('  /redfish then /redfish/v1', root_fallback)
    multi.fault(method='GET', path='/redfish/v1/Systems', kind='empty_page')
    R.check('a paged Systems collection is followed through Members@odata.nextLink', works, h,
            P13 + '/boot_target/r/multi/0200', {'target': 'no_override'}, max_s=3)

    def paged():
        st = multi.stats()['requests']
        sys_pages = [r['path'] for r in st if r['path'].startswith('/redfish/v1/Systems?') or
                     r['path'] == '/redfish/v1/Systems']
        assert len(sys_pages) == 2 and '$skip' in sys_pages[1], sys_pages
        assert any(r['path'] == '/redfish/v1/Systems/System.Node.1' for r in st)
    R.check('  two pages read, the first system chosen', paged)

    # ---- unreachable servers
    R.check('nothing listening -> 500 "cannot connect" at once', fails, h, P13 + '/scan/r/gone',
            ['Redfish board 70000006', 'GET /redfish: cannot connect'], 0.9)
    R.check('/redfish hangs -> 500 "timed out", no further requests', fails, h, P13 + '/scan/r/slow',
            ['Redfish board 70000007', 'GET /redfish: answer timed out after %g s' % TIMEOUT], TIMEOUT + SLACK)

    def one_request():
        assert [r['path'] for r in slow.stats()['requests']] == ['/redfish'], slow.stats()['requests']
    R.check('  the hanging server got only GET /redfish', one_request)

    def partial_scan():
        r, dt = timed(h, P13 + '/scan/force')
        got = H.expect_ok(r, None, 'scan/force')
        ids = [b['board_id'] for rack in got['racks'] for b in rack['boards']]
        assert ids == ['70000000', '70000001', '70000002', '70000003', '70000004', '70000005'], ids
        errs = got.get('errors')
        assert [(e['backend'], e['board_id']) for e in errs] == [('redfish', '70000006'), ('redfish', '70000007')], errs
        assert 'cannot connect' in errs[0]['message'] and 'timed out' in errs[1]['message'], errs
        assert dt < 2 * TIMEOUT + 4, 'scan-all took %.1f s' % dt
    R.check('scan-all: 200 with the boards that answered and an errors entry per failed server', partial_scan)
    R.check('scan 1.2 (cached partial scan) keeps its errors', lambda: H.expect_ok(h.fcgi(P12 + '/scan'), None)
            .get('errors') or (_ for _ in ()).throw(AssertionError('no errors in the cached 1.2 scan')))

    def same_worker():
        assert h.worker_pids() == pids, 'worker replaced: %r -> %r' % (pids, h.worker_pids())
    R.check('the same worker served every request', same_worker)


if __name__ == '__main__':
    main()
