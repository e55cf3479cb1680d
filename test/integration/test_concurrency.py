#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Many concurrent clients, one bus: 4 workers, 32 client threads, >= 3000 mixed requests.

Every device of data/concurrency.json answers a distinct value, so each response can be checked
against the board and device it was asked for. Checks: every answer is the right one, no request
hangs (per-request timeout), no 5xx (the data calls for none), and the shared sequence counter
in the lock file advanced by exactly the number of packets the requests put on the bus
(Decision 3: one counter under the bus lock, no number used twice or lost).
"""

import random
import sys
import threading
import time

import harness as H

P12 = '/opendcre/1.2'
P13 = '/opendcre/1.3'
THREADS = 32
PER_THREAD = 125           # 4000 requests
TIMEOUT = 30.0             # per request; a scan-all holds the bus for a few hundred ms
R = H.Runner('test_concurrency')


def read_expect(dtype, resp, api):
    if dtype == 'thermistor':
        return {'temperature_c': H.thermistor(resp)}
    if dtype == 'temperature':
        return {'temperature_c': float(resp)}
    if dtype == 'humidity':
        return H.humidity(resp)
    if dtype == 'fan_speed':
        return {'fan_mode': 'auto', 'speed_rpm': resp} if api == '1.3' else {'speed_rpm': resp}
    if dtype == 'pressure':
        return {'pressure_kpa': float(resp)} if api == '1.3' else {'device_raw': int(resp)}
    return {'device_raw': int(resp)}


def catalogue(data):
    """[(weight, kind, path, expected, packets)]"""
    cat = []
    boards = H.expected_scan_boards(data)
    for b in data['boards']:
        bid = b['board_id']
        for api, v in (('1.3', P13 + '/version/rack_1/' + bid), ('1.2', P12 + '/version/' + bid)):
            cat.append((3, 'version', v, {'api_version': api, 'firmware_version': b['firmware_version'],
                                          'opendcre_version': api + '.0'}, 1))
        cat.append((0.25, 'scan1', P13 + '/scan/rack_1/' + bid,
                    {'boards': [x for x in boards if x['board_id'] == bid]}, 1))
        for d in b['devices']:
            did, t = d['device_id'], d['device_type']
            if t == 'power':
                p = d['power']['responses'][0]
                cat.append((4, 'power', '%s/power/rack_1/%s/%s' % (P13, bid, did), H.power8(p), 1))
                cat.append((4, 'power', '%s/power/%s/%s' % (P12, bid, did), H.power8(p), 1))
                continue
            resp = d['read']['responses'][0]
            cat.append((4, 'read', '%s/read/%s/rack_1/%s/%s' % (P13, t, bid, did), read_expect(t, resp, '1.3'), 1))
            cat.append((4, 'read', '%s/read/%s/%s/%s' % (P12, t, bid, did), read_expect(t, resp, '1.2'), 1))
            if t == 'fan_speed':
                cat.append((3, 'fan', '%s/fan/rack_1/%s/%s' % (P13, bid, did), read_expect(t, resp, '1.3'), 1))
                cat.append((3, 'fan', '%s/fan/%s/%s' % (P12, bid, did), read_expect(t, resp, '1.2'), 1))
            cat.append((0.5, 'location', '%s/location/rack_1/%s/%s' % (P13, bid, did), H.location(int(did, 16)), 0))
    racks = {'racks': [{'boards': boards, 'rack_id': 'vapor_plc_rack'}]}
    cat += [
        (8, 'test', P13 + '/test', {'status': 'ok'}, 0),
        (4, 'test', P12 + '/test', {'status': 'ok'}, 0),
        (4, 'version', '/opendcre/version', {'version': '1.3'}, 0),
        (6, 'scan', P13 + '/scan', racks, 0),
        (4, 'scan', P12 + '/scan', {'boards': boards}, 0),
        (2, 'scan', P13 + '/scan/vapor_plc_rack', racks, 0),
        (0.6, 'force', P13 + '/scan/force', racks, 2),
    ]
    return cat


def main():
    H.require_tools()
    data = H.load_data('concurrency.json')
    cat = catalogue(data)
    weights = [c[0] for c in cat]
    h = H.Harness('concurrency.json', workers=4, name='conc')
    try:
        h.start()
    except Exception as e:
        R.fail('start', e)
        R.finish()
    try:
        R.check('4 workers running', lambda: _assert(len(h.worker_pids()) == 4, h.worker_pids()))

        def warm():
            H.expect_ok(h.get(P13 + '/scan/force'), cat[-1][3], 'warm-up scan')
        R.check('warm-up scan-all', warm)
        s0 = h.seq()

        results = []
        lock = threading.Lock()
        start = threading.Barrier(THREADS)

        def client(i):
            rng = random.Random(1000 + i)
            picks = rng.choices(range(len(cat)), weights=weights, k=PER_THREAD)
            out = []
            start.wait()
            for k in picks:
                _, kind, path, exp, _pk = cat[k]
                t0 = time.monotonic()
                try:
                    r = h.get(path, timeout=TIMEOUT)
                    err = None
                except Exception as e:    # timeouts, resets
                    r, err = None, '%s: %s' % (type(e).__name__, e)
                out.append((k, r, err, time.monotonic() - t0))
            with lock:
                results.extend(out)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(THREADS)]
        t_start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(PER_THREAD * TIMEOUT)
        elapsed = time.monotonic() - t_start
        hung = [t for t in threads if t.is_alive()]

        def all_done():
            assert not hung, '%d client threads still running' % len(hung)
            assert len(results) == THREADS * PER_THREAD, '%d results' % len(results)
        R.check('%d requests from %d threads completed (%.1f s)' % (THREADS * PER_THREAD, THREADS, elapsed), all_done)

        bad = []
        kinds = {}
        packets = 0
        lat = []
        for k, r, err, dt in results:
            _, kind, path, exp, pk = cat[k]
            kinds[kind] = kinds.get(kind, 0) + 1
            lat.append(dt)
            if err:
                bad.append('%s: %s (%.1f s)' % (path, err, dt))
                continue
            try:
                H.expect_ok(r, exp, path)
                packets += pk
            except AssertionError as e:
                bad.append(str(e)[:400])
        lat.sort()
        print('# kinds: %s' % ', '.join('%s=%d' % kv for kv in sorted(kinds.items())))
        if lat:
            print('# latency: median %.3f s, p99 %.3f s, max %.3f s' % (lat[len(lat) // 2], lat[int(len(lat) * .99)],
                                                                       lat[-1]))
        fives = [b for b in bad if 'status 5' in b]

        def no_5xx():
            assert not fives, '%d answers with 5xx, e.g.:\n%s' % (len(fives), '\n'.join(fives[:10]))
        R.check('no 5xx answers', no_5xx)

        def all_right():
            assert not bad, '%d wrong or failed answers, e.g.:\n%s' % (len(bad), '\n'.join(bad[:15]))
        R.check('every answer is the right one for its board and device', all_right)

        def no_hang():
            assert not lat or lat[-1] < TIMEOUT, 'slowest request %.1f s' % lat[-1]
        R.check('no request hit the %.0f s timeout' % TIMEOUT, no_hang)

        def seq_ok():
            s1 = h.seq()
            assert not bad, 'not checked: some requests failed'
            assert s1 == (s0 + packets) % 255, ('sequence counter %d -> %d, but the requests put %d packets on the '
                                                'bus (expected %d)' % (s0, s1, packets, (s0 + packets) % 255))
        R.check('shared sequence counter advanced once per packet', seq_ok)

        R.check('service still serves', lambda: H.expect_ok(h.get(P13 + '/test'), {'status': 'ok'}))
    finally:
        R.harness_problems(h, 'no crashes, workers unchanged, clean shutdown')
    R.finish()


def _assert(cond, info):
    assert cond, info


if __name__ == '__main__':
    sys.exit(main())
