#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A hostile Redfish service cannot hold a worker (issue 11, items 4 and 7): every API request
to a server is one operation with one deadline (4 x timeout) and at most 64 HTTP requests.
With timeout 0.3 s and one worker:

* the reproduction of the issue (64 pages x 3 collections, a ContainedBy chain of 16, 3
  redirects on every GET, a second discovery after a 404, 15 ms per answer): a live scan ends
  within the deadline with 500 naming the request cap (or the deadline, on a slow machine);
* endless collection pages, an endless ContainedBy chain behind redirects -> 500 naming the
  request cap, within the deadline;
* a redirect loop -> 500 "too many redirects", within the deadline;
* slow answers (0.3 s each, shorter than that server's timeout of 0.5 s) -> 500 naming the
  operation's deadline (2 s), after about the deadline and not much later;
* a service whose strings are not UTF-8 -> every answer is valid UTF-8 JSON;
* the same worker serves throughout.
"""

import shutil
import tempfile
import time

import rfhelp as RH

H = RH.H
R = H.Runner('test_redfish_hostile')
P12 = '/opendcre/1.2'
P13 = '/opendcre/1.3'
TIMEOUT = 0.3
DEADLINE = 4 * TIMEOUT       # rf_backend.c RF_OP_TIMEOUTS
SLACK = 0.8                  # process and TLS overhead allowed beyond a deadline (ASan builds)
CAP = 'at most 64 per operation'
SLOW_TIMEOUT = 0.5
SLOW_DEADLINE = 4 * SLOW_TIMEOUT


def timed(h, uri):
    t0 = time.monotonic()
    r = h.fcgi(uri, timeout=120)
    dt = time.monotonic() - t0
    H.log('%s: %d after %.2f s' % (uri, r.status, dt))
    return r, dt


def fails(h, uri, contains, max_s, min_s=0.0):
    r, dt = timed(h, uri)
    H.expect_error(r, 500, H.version_of(uri), contains=contains, what=uri)
    assert min_s <= dt <= max_s, 'answered after %.2f s, expected %.1f-%.1f s' % (dt, min_s, max_s)
    return r.json()['message']


def utf8_json(h, uri):
    r, dt = timed(h, uri)
    assert r.status == 200, '%s: status %d, body %r' % (uri, r.status, r.body[:300])
    try:
        text = r.body.decode('utf-8', 'strict')
    except UnicodeDecodeError as e:
        raise AssertionError('%s: the answer is not valid UTF-8 (%s): %r' % (uri, e, r.body[:300]))
    H.json.loads(text)
    return text


def main():
    RH.require_tools()
    tmp = tempfile.mkdtemp(prefix='opendcre-rf-hostile-')
    servers, harnesses = [], []

    def mk(name, **opts):
        s = RH.RedfishServer('single', certs, options=opts, log_dir=tmp, name=name).start()
        servers.append(s)
        return s

    def harness(name, entries):
        cfg = {'timeout': TIMEOUT, 'power_wait': 0, 'ca_file': certs['ca'],
               'racks': [{'rack_id': 'r', 'servers': entries}]}
        h = RH.RfHarness(cfg, workers=1, name=name)
        harnesses.append(h)
        h.start()
        return h
    try:
        certs = RH.make_certs(tmp)
        repro = mk('repro', hostile_pages=63, hostile_chain=16, hostile_redirects=3, answer_delay=0.015)
        pages = mk('pages', hostile_pages=-1)
        chain = mk('chain', hostile_chain=-1, hostile_redirects=3)
        loop = mk('loop', hostile_redirects=-1)
        slow = mk('slow', answer_delay=0.3)
        utf8 = mk('utf8', bad_utf8=True)
        h1 = harness('rf-hostile-repro', [RH.server_entry(repro, hostnames=['repro'])])
        # the slow server: 0.3 s answers, timeout 0.5 s (margin for ASan builds)
        h2 = harness('rf-hostile', [RH.server_entry(s, hostnames=[s.name],
                                                    **({'timeout': SLOW_TIMEOUT} if s is slow else {}))
                                    for s in (pages, chain, loop, slow, utf8)])
    except Exception as e:
        R.fail('set-up', e)
        for h in harnesses:
            h.stop()
        for s in servers:
            s.stop()
        R.finish()
    try:
        run_repro(h1, repro)
        run(h2, pages, chain, loop, slow, utf8)
    except Exception as e:
        R.fail('hostile run', e)
    for h in harnesses:
        R.harness_problems(h, '%s: one worker throughout, no crashes, clean shutdown' % h.name)
    for s in servers:
        s.stop()
    if not R.failed and not H.KEEP:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        H.log('Redfish server logs kept in', tmp)
    R.finish()


def run_repro(h, repro):
    repro.fault(method='GET', path='/redfish/v1/Chassis/1/Thermal', kind='status', status=404)

    def scan():
        r, dt = timed(h, P13 + '/scan/force')
        # the only server failed: the scan fails (500) naming why
        H.expect_error(r, 500, '1.3', contains=['Redfish board 70000000'], what='scan/force')
        m = r.json()['message']
        assert CAP in m or "the operation's deadline of %g s" % DEADLINE in m, m
        n = len(repro.stats()['requests'])
        H.log('issue 11 reproduction: live scan of one server: %.2f s, %d HTTP requests' % (dt, n))
        assert n <= 64, '%d HTTP requests' % n
        assert dt <= DEADLINE + SLACK, 'the scan took %.2f s (deadline %.1f s)' % (dt, DEADLINE)
    R.check('issue 11 reproduction: scan-all ends within the deadline, 500 naming the cap or deadline',
            scan)


def run(h, pages, chain, loop, slow, utf8):
    pids = h.worker_pids()
    R.check('endless collection pages -> 500 naming the request cap, within the deadline', fails, h,
            P13 + '/scan/r/pages', ['Redfish board 70000000', '/redfish/v1/Systems?hpage=', CAP],
            DEADLINE + SLACK)
    R.check('  at most 64 requests sent', lambda: len(pages.stats()['requests']) <= 64 or
            (_ for _ in ()).throw(AssertionError(len(pages.stats()['requests']))))
    R.check('endless ContainedBy chain behind 3 redirects per GET -> 500 naming the request cap',
            fails, h, P13 + '/scan/r/chain', ['Redfish board 70000001', '/redfish/v1/Chassis/Up', CAP],
            DEADLINE + SLACK)
    R.check('redirect loop -> 500 "too many redirects", within the deadline', fails, h,
            P13 + '/scan/r/loop', ['Redfish board 70000002', 'too many redirects'], DEADLINE + SLACK)
    R.check('slow answers (0.3 s each, timeout 0.5 s) -> 500 naming the deadline, at the deadline',
            fails, h, P13 + '/scan/r/slow',
            ['Redfish board 70000003', "the operation's deadline of %g s passed" % SLOW_DEADLINE],
            SLOW_DEADLINE + SLACK, SLOW_DEADLINE - 0.35)
    R.check('  the same for a read (one deadline again, not one per request)', fails, h,
            P12 + '/read/temperature/70000003/0004', ["the operation's deadline of %g s" % SLOW_DEADLINE],
            SLOW_DEADLINE + SLACK, SLOW_DEADLINE - 0.35)

    uris = [P13 + '/scan/r/utf8', P13 + '/read/temperature/r/utf8/0004', P13 + '/power/r/utf8/0100',
            P12 + '/power/70000004/0100', P13 + '/led/r/utf8/0300', P13 + '/boot_target/r/utf8/0200',
            P13 + '/asset/r/utf8/0200', P13 + '/read/fan_speed/r/utf8/0000']
    for u in uris:
        R.check('strings that are not UTF-8 -> valid UTF-8 JSON: ' + u, utf8_json, h, u)

    def cleaned():
        text = utf8_json(h, P13 + '/power/r/utf8/0100')
        assert '"power_status":"o\u00ffn\u00c0"' in text.replace(' ', ''), text
    R.check('  PowerState "O\\xffn\\xc0" read as ISO-8859-1 (dcre_convert_text)', cleaned)

    def same_worker():
        assert h.worker_pids() == pids, 'worker replaced: %r -> %r' % (pids, h.worker_pids())
    R.check('the same worker served every request', same_worker)


if __name__ == '__main__':
    main()
