#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""State files are opened safely and untrusted text cannot forge log lines (issue 11, items 1, 7, 8).

Through nginx -> 4 opendcre-fcgi workers -> emulator:

* a symlink planted at every worker's old temporary cache name: /scan/force writes the cache
  without touching the symlink's target;
* a symlink at the cache path pointing at a file holding a valid cache: not followed (the answer
  is a live scan, the target is unchanged, the cache becomes a regular file);
* a FIFO at the cache path: /scan answers within its bound instead of hanging;
* caches whose `created` is 1e300, in the future or negative, and caches with malformed
  `errors`, `racks`, boards or devices: treated as absent (a live scan answers);
* the scan-cache lock held by someone else: /scan/force answers a JSON 500 naming the lock
  within the bound (config-derived), while /test keeps answering;
* a decoded URL text with "\\naudit: ..." in it: one log line, escaped; no forged audit line.
"""

import fcntl
import json
import os
import re
import threading
import time

import harness as H
from harness import expect_ok, expect_error

P12 = '/opendcre/1.2'
P13 = '/opendcre/1.3'
R = H.Runner('test_state_files')
DATA = H.load_data('concurrency.json')
BOARDS = H.expected_scan_boards(DATA)
LIVE13 = {'racks': [{'boards': BOARDS, 'rack_id': 'vapor_plc_rack'}]}
LIVE12 = {'boards': BOARDS}
B2 = DATA['boards'][1]['board_id']
PLC_TIMEOUT = 0.25
RETRY_LIMIT = 3
# the scan-cache lock is waited for at most 10 x the longest backend time unit
# ((retry_limit + 1) x plc.timeout here), between 5 and 50 s (core/command.c)
LOCK_WAIT = min(50.0, max(5.0, 10 * (RETRY_LIMIT + 1) * PLC_TIMEOUT))
SCAN_BOUND = 5.0            # a live scan-all of the emulator takes well under a second
PRECIOUS = b'precious content, must survive\n'


def bogus_doc(created=None, **extra):
    """A cache holding a board the emulator does not have (so serving it is visible)."""
    doc = {'format': 'opendcre-scan-cache/1',
           'created': time.time() if created is None else created,
           'racks': [{'rack_id': 'vapor_plc_rack',
                      'boards': [{'backend': 'plc', 'board_id': '000000aa',
                                  'devices': [{'device_id': '0001', 'device_type': 'led'}]}]}]}
    doc.update(extra)
    return doc


def _rm(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def timed_get(h, path, timeout):
    t0 = time.monotonic()
    r = h.get(path, timeout=timeout)
    return r, time.monotonic() - t0


def expect_live(h, path=P13 + '/scan', bound=SCAN_BOUND, timeout=30.0):
    r, dt = timed_get(h, path, timeout)
    expect_ok(r, LIVE12 if path.startswith(P12) else LIVE13, path)
    assert dt < bound, '%s took %.2f s, bound %.1f s' % (path, dt, bound)
    return dt


def main():
    H.require_tools()
    h = H.Harness('concurrency.json', workers=4, name='state',
                  plc={'timeout': PLC_TIMEOUT, 'retry_limit': RETRY_LIMIT})
    try:
        h.start()
    except Exception as e:
        R.fail('start emulator, service and nginx', e)
        R.finish()
    try:
        checks(h)
    finally:
        R.harness_problems(h, 'no crashes, clean shutdown')
    R.finish()


def checks(h):
    c = R.check
    cache = h.cachefile
    victim = os.path.join(h.run, 'victim')

    def plant_victim(content=PRECIOUS):
        with open(victim, 'wb') as f:
            f.write(content)

    # ---- symlinks at the temporary names the old code used (<file>.tmp.<pid>)
    def tmp_symlinks():
        plant_victim()
        links = []
        for pid in h.worker_pids():
            p = '%s.tmp.%d' % (cache, pid)
            os.symlink(victim, p)
            links.append(p)
        try:
            for _ in range(len(links)):      # every worker gets a chance to write
                expect_live(h, P13 + '/scan/force')
            assert _read(victim) == PRECIOUS, 'symlink target overwritten: %r' % _read(victim)[:80]
            assert os.path.isfile(cache) and not os.path.islink(cache), 'no regular cache file written'
            json.loads(_read(cache))
            left = [n for n in os.listdir(h.run) if '.tmp' in n and os.path.join(h.run, n) not in links]
            assert not left, 'temporary files left behind: %r' % left
        finally:
            for p in links:
                _rm(p)
    c('symlinks at <cache>.tmp.<pid>: /scan/force writes the cache, the target stays intact', tmp_symlinks)

    # ---- a symlink at the cache path
    def cache_symlink():
        plant_victim(json.dumps(bogus_doc()).encode())
        before = _read(victim)
        _rm(cache)
        os.symlink(victim, cache)
        expect_live(h, P13 + '/scan')
        assert _read(victim) == before, 'symlink target changed'
        assert not os.path.islink(cache) and os.path.isfile(cache), 'cache path is not a regular file now'
        expect_live(h, P12 + '/scan')
    c('symlink at the cache path is not followed: live scan, target unchanged', cache_symlink)

    # ---- a FIFO at the cache path
    def cache_fifo():
        _rm(cache)
        os.mkfifo(cache)
        try:
            expect_live(h, P13 + '/scan', timeout=LOCK_WAIT + 10)
            assert not os.path.exists(cache) or not _is_fifo(cache), 'FIFO still at the cache path'
        finally:
            _release_fifo(cache)
        expect_live(h, P13 + '/scan')
    c('FIFO at the cache path: /scan answers a live scan within its bound', cache_fifo)

    def fifo_lone_read():
        _rm(cache)
        os.mkfifo(cache)
        try:
            expect_live(h, P12 + '/scan', timeout=LOCK_WAIT + 10)
        finally:
            _release_fifo(cache)
    c('FIFO at the cache path: 1.2 /scan answers too', fifo_lone_read)

    # ---- invalid `created` and other malformed fields: treated as absent
    def planted(doc, what, path=P13 + '/scan'):
        def f():
            _rm(cache)
            with open(cache, 'w') as fh:
                fh.write(doc if isinstance(doc, str) else json.dumps(doc))
            expect_live(h, path)
        c('cache with %s: treated as absent (live scan answers)' % what, f)

    planted(bogus_doc(created=1e300), 'created 1e300')
    planted(bogus_doc(created=-5), 'created negative')
    planted(bogus_doc(created=time.time() + 86400), 'created a day in the future')
    planted(bogus_doc(created='now'), 'created a string')
    planted(bogus_doc(errors=[None, {'message': 5}, 'x']), 'malformed errors entries')
    planted(bogus_doc(errors='oops'), 'errors not an array')
    planted(bogus_doc(errors=[{'backend': 'ipmi', 'board_id': '40000001'}]), 'an errors entry without message')
    planted(dict(bogus_doc(), racks=[5]), 'a rack that is not an object')
    planted(dict(bogus_doc(), racks=[{'rack_id': 7, 'boards': []}]), 'a numeric rack_id')
    planted(dict(bogus_doc(), racks=[{'rack_id': 'r', 'boards': [{'board_id': 'zz', 'backend': 'plc',
                                                                    'devices': []}]}]),
            'a board id that is not 8 hex digits')
    planted(dict(bogus_doc(), racks=[{'rack_id': 'r', 'boards': [{'board_id': '000000aa', 'backend': 'plc',
                                                                    'devices': [{'device_id': None}]}]}]),
            'a device without a string device_id')
    planted(dict(bogus_doc(), racks=[{'rack_id': 'r', 'boards': [{'board_id': '000000aa', 'backend': 'plc',
                                                                    'devices': [{'device_id': '0001',
                                                                                 'device_type': 'led',
                                                                                 'device_info': ['x']}]}]}]),
            'a non-string device_info')
    planted(dict(bogus_doc(), racks=[{'rack_id': 'r', 'boards': [{'board_id': '40000001', 'backend': 'ipmi',
                                                                    'hostnames': [1], 'devices': []}]}]),
            'non-string hostnames')

    def malformed_errors_rack():
        _rm(cache)
        with open(cache, 'w') as fh:
            json.dump(bogus_doc(errors=[None, {'message': 5}, 'x']), fh)
        r = h.get(P13 + '/scan/nosuchrack', timeout=30)
        msg = expect_error(r, 500, '1.3', what='/scan/nosuchrack')
        assert '(null)' not in msg and 'failed backends' not in msg, 'message %r' % msg
    c('malformed errors entries never reach the /scan/<rack> message', malformed_errors_rack)

    # a good cache written by the service itself is still served (no false rejections)
    def good_cache_served():
        expect_live(h, P13 + '/scan/force')
        doc = json.loads(_read(cache))
        doc['racks'][0]['boards'][0]['devices'][0]['device_type'] = 'led'   # visible marker
        with open(cache + '.new', 'w') as fh:
            json.dump(doc, fh)
        os.rename(cache + '.new', cache)
        r = h.get(P13 + '/scan', timeout=30)
        got = expect_ok(r, None, '/scan')
        assert got['racks'][0]['boards'][0]['devices'][0]['device_type'] == 'led', 'cache not served: %r' % got
    c('a valid cache is still answered from', good_cache_served)

    # ---- the scan-cache lock held elsewhere: bounded wait, JSON 500 naming the lock
    def lock_held():
        _rm(cache)
        fd = os.open(cache + '.lock', os.O_RDWR | os.O_CREAT, 0o660)
        fcntl.flock(fd, fcntl.LOCK_EX)
        out = {}

        def side():
            time.sleep(1.0)
            out['test'] = timed_get(h, P13 + '/test', 10)
        t = threading.Thread(target=side)
        t.start()
        try:
            r, dt = timed_get(h, P13 + '/scan/force', LOCK_WAIT + 20)
        finally:
            t.join()
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        msg = expect_error(r, 500, '1.3', what='/scan/force with the lock held', contains=('lock',))
        assert LOCK_WAIT - 0.5 <= dt <= LOCK_WAIT + 3, \
            'answered after %.2f s, bound %.1f s (message %r)' % (dt, LOCK_WAIT, msg)
        tr, tdt = out['test']
        assert tr.status == 200 and tdt < 2, '/test while the lock was held: %d after %.2f s' % (tr.status, tdt)
        expect_live(h, P13 + '/scan/force')
    c('scan-cache lock held elsewhere: JSON 500 naming the lock within %.0f s, /test answers' % LOCK_WAIT,
      lock_held)

    # ---- forged log lines
    def forged_log():
        forged = 'x%0aaudit:%20user=root%20method=GET%20route=forged%20outcome=200%0d%1b[2J%c3%a9'
        r = h.get(P13 + '/power/rack_1/' + B2 + '/0006/' + forged, timeout=30)
        expect_error(r, 500, '1.3', what='power with a forged action')
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            text = _read(h.svc_log)
            if b'route=forged' in text:
                break
            time.sleep(0.05)
        lines = text.split(b'\n')
        hits = [ln for ln in lines if b'route=forged' in ln]
        assert hits, 'the forged text was not logged at all'
        for ln in lines:
            assert not re.match(rb'^(\S+ \S+ \S+: )?audit: user=root', ln), 'forged audit line: %r' % ln
            assert b'\x1b' not in ln and b'\r' not in ln and b'\xc3' not in ln, 'raw control/non-ASCII byte: %r' % ln
        assert any(b'x\\x0aaudit:' in ln for ln in hits), 'newline not written as \\x0a: %r' % hits
        real = [ln for ln in lines if b' audit: user=' in ln and b'forged' in ln]
        assert len(real) == 1 and b'route=/opendcre/1.3/power/rack_1/' + B2.encode() + b'/0006/x%0aaudit' in real[0] and \
            b'outcome=500 Invalid power action \'x\\x0aaudit:' in real[0], 'audit line format: %r' % real
    c('a decoded URL with "\\naudit: ..." gives escaped single log lines, no forged audit line', forged_log)


def _is_fifo(path):
    import stat
    return stat.S_ISFIFO(os.lstat(path).st_mode)


def _release_fifo(path):
    """Unblock a reader stuck on the FIFO (the unfixed code), then remove it."""
    try:
        if _is_fifo(path):
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
    except OSError:
        pass
    try:
        if _is_fifo(path):
            os.unlink(path)
    except OSError:
        pass


if __name__ == '__main__':
    main()
