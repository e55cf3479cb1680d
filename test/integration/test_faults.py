#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Faults: the emulator dies mid-run and comes back; a worker is SIGKILLed.

* emulator killed (SIGKILL, under load) -> bus requests answer 500 with the version's JSON body
  within the read timeout (no hangs, no 502); /test keeps answering;
* emulator restarted on the same link -> the service recovers by itself;
* emulator stopped cleanly (SIGTERM: the link disappears) -> 500; restarted -> recovers;
* one worker SIGKILLed under load -> it is replaced (the main process has N workers again) and
  requests keep succeeding; at most the one request in flight is lost.
"""

import os
import signal
import threading
import time

import harness as H

P12 = '/opendcre/1.2'
P13 = '/opendcre/1.3'
WORKERS = 4
PLC_TIMEOUT = 0.25
FAIL_LIMIT = 6 * PLC_TIMEOUT     # "within the read timeout", with room for process overhead
R = H.Runner('test_faults')

DATA = H.load_data('concurrency.json')
B1 = DATA['boards'][0]
B2 = DATA['boards'][1]
# (path, expected) pairs with known answers
GOOD = [
    (P13 + '/read/thermistor/rack_1/%s/0001' % B1['board_id'],
     {'temperature_c': H.thermistor(B1['devices'][0]['read']['responses'][0])}),
    (P12 + '/read/thermistor/%s/0002' % B2['board_id'],
     {'temperature_c': H.thermistor(B2['devices'][1]['read']['responses'][0])}),
    (P13 + '/power/rack_1/%s/0006' % B2['board_id'], H.power8(B2['devices'][5]['power']['responses'][0])),
    (P12 + '/version/%s' % B1['board_id'],
     {'api_version': '1.2', 'firmware_version': B1['firmware_version'], 'opendcre_version': '1.2.0'}),
]


class Load:
    """Background clients issuing GOOD requests until stopped."""

    def __init__(self, h, threads=4):
        self.h = h
        self.stop_ev = threading.Event()
        self.results = []       # (t_start, path, status or None, ok_json, error text, elapsed)
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]

    def run(self, i):
        n = i
        while not self.stop_ev.is_set():
            path, exp = GOOD[n % len(GOOD)]
            n += 1
            t0 = time.monotonic()
            try:
                r = self.h.get(path, timeout=20)
                err = None
                try:
                    H.expect_ok(r, exp, path)
                    good = True
                except AssertionError as e:
                    good, err = False, str(e)[:300]
                status = r.status
                jsonbody = _is_json_error(r, path) if r.status != 200 else True
            except Exception as e:
                status, good, jsonbody, err = None, False, False, '%s: %s' % (type(e).__name__, e)
            with self.lock:
                self.results.append((t0, path, status, good, jsonbody, err, time.monotonic() - t0))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *a):
        self.stop_ev.set()
        for t in self.threads:
            t.join(30)

    def count(self, since=0.0):
        with self.lock:
            return sum(1 for x in self.results if x[0] >= since)

    def wait_count(self, n, since, timeout=20):
        deadline = time.monotonic() + timeout
        while self.count(since) < n:
            assert time.monotonic() < deadline, 'load made only %d requests' % self.count(since)
            time.sleep(0.01)


def _is_json_error(r, path):
    try:
        H.expect_error(r, r.status, H.version_of(path), what=path)
        return True
    except AssertionError:
        return False


def expect_bus_failure(h, path):
    t0 = time.monotonic()
    r = h.get(path, timeout=30)
    dt = time.monotonic() - t0
    H.expect_error(r, 500, H.version_of(path), what=path)
    assert dt < FAIL_LIMIT, '%s: 500 took %.2f s (plc.timeout %.2f s)' % (path, dt, PLC_TIMEOUT)


def parallel(h, paths_expected, n_threads=8):
    """Run requests concurrently; return [(path, status, good, elapsed, error)]."""
    out = []
    lock = threading.Lock()

    def one(path, exp):
        t0 = time.monotonic()
        try:
            r = h.get(path, timeout=20)
            try:
                H.expect_ok(r, exp, path)
                good, err = True, None
            except AssertionError as e:
                good, err = False, str(e)[:300]
            st = r.status
        except Exception as e:
            st, good, err = None, False, str(e)
        with lock:
            out.append((path, st, good, time.monotonic() - t0, err))
    for i in range(0, len(paths_expected), n_threads):
        ts = [threading.Thread(target=one, args=pe) for pe in paths_expected[i:i + n_threads]]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
    return out


def recover(h, what, deadline_s=15.0):
    """After the emulator came back: wait (polling, with a deadline) until requests succeed,
    then require that every worker serves correctly: 3 rounds of 2*N concurrent requests all 200."""
    failures = []
    deadline = time.monotonic() + deadline_s
    clean_rounds = 0
    while clean_rounds < 3:
        assert time.monotonic() < deadline, '%s: not recovered within %.0f s; failures: %s' % (
            what, deadline_s, failures[-5:])
        res = parallel(h, [GOOD[i % len(GOOD)] for i in range(2 * WORKERS)])
        bad = [x for x in res if not x[2]]
        if bad:
            clean_rounds = 0
            failures += bad
            for path, st, good, dt, err in bad:
                assert st == 500, '%s: during recovery %s answered %s (expected 200, or 500 while a worker ' \
                                  'reopens the port): %s' % (what, path, st, err)
        else:
            clean_rounds += 1
    return failures


def main():
    H.require_tools()
    h = H.Harness('concurrency.json', workers=WORKERS, name='faults', plc={'timeout': PLC_TIMEOUT})
    try:
        h.start()
    except Exception as e:
        R.fail('start', e)
        R.finish()
    try:
        run(h)
    finally:
        R.harness_problems(h, 'no unexpected crashes, clean shutdown')
    R.finish()


def run(h):
    c = R.check

    def baseline():
        res = parallel(h, GOOD * 4)
        bad = [x for x in res if not x[2]]
        assert not bad, bad[:5]
    c('baseline: all requests succeed', baseline)

    # ---- emulator SIGKILLed under load
    state = {}

    def kill_under_load():
        with Load(h) as load:
            t_start = time.monotonic()
            load.wait_count(40, t_start)
            t_kill = time.monotonic()
            rc = h.stop_emulator(signal.SIGKILL)
            assert rc == -signal.SIGKILL, rc
            load.wait_count(40, t_kill + 0.5)
        state['load'] = load
        state['t_kill'] = t_kill
        after = [x for x in load.results if x[0] > t_kill + 0.5]
        wrong = [x for x in after if x[2] != 500 or not x[4]]
        assert not wrong, 'after the kill: answers other than 500 with a JSON body: %s' % [
            (x[1], x[2], x[5]) for x in wrong[:5]]
        slow = [x for x in load.results if x[6] > FAIL_LIMIT + 0.5]
        assert not slow, 'slow answers under load: %s' % [(x[1], x[2], round(x[6], 2)) for x in slow[:5]]
        before = [x for x in load.results if x[0] + x[6] < t_kill]
        assert before and all(x[3] for x in before), 'requests failed before the kill: %s' % [
            (x[1], x[2], x[5]) for x in before if not x[3]][:5]
    c('emulator SIGKILLed under load: no hangs; afterwards 500 + JSON body', kill_under_load)

    for path, _ in GOOD:
        c('emulator dead: %s -> 500 within %.1f s' % (path, FAIL_LIMIT), expect_bus_failure, h, path)
    c('emulator dead: single-board scan -> 500', expect_bus_failure, h, P13 + '/scan/rack_1/00000101')

    def dead_parallel():
        res = parallel(h, [GOOD[i % len(GOOD)] for i in range(2 * WORKERS)])
        assert all(x[1] == 500 for x in res), [(x[0], x[1]) for x in res]
        assert max(x[3] for x in res) < 3.0, 'slowest %.2f s' % max(x[3] for x in res)
    c('emulator dead: every worker answers 500 (8 concurrent)', dead_parallel)
    c('emulator dead: /test still 200', lambda: H.expect_ok(h.get(P13 + '/test'), {'status': 'ok'}))
    c('emulator dead: location still 200', lambda: H.expect_ok(h.get(P12 + '/location/00000101/72df'),
                                                                H.location(0x72df)))

    def restart():
        h.start_emulator()
        fails = recover(h, 'after SIGKILL')
        if fails:
            print('# recovery after SIGKILL: %d requests answered 500 before all workers reopened the port'
                  % len(fails))
    c('emulator restarted on the same link -> the service recovers by itself', restart)

    # ---- emulator stopped cleanly (link removed)
    def clean_stop():
        rc = h.stop_emulator(signal.SIGTERM)
        assert rc == 0, 'emulator exit code %s after SIGTERM' % rc
        assert not os.path.lexists(h.link), 'emulator left its link behind'
        for path, _ in GOOD:
            expect_bus_failure(h, path)
    c('emulator stopped (SIGTERM, link removed) -> 500 within %.1f s' % FAIL_LIMIT, clean_stop)

    def restart2():
        h.start_emulator()
        recover(h, 'after SIGTERM')
    c('emulator started again -> the service recovers', restart2)

    # ---- a worker SIGKILLed under load
    def kill_worker():
        before = h.worker_pids()
        assert len(before) == WORKERS, before
        victim = before[0]
        with Load(h) as load:
            t_start = time.monotonic()
            load.wait_count(40, t_start)
            t_kill = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            h.allowed_worker_changes = 1
            now = h.wait_workers(WORKERS, time.monotonic() + 10, exclude=[victim])
            t_back = time.monotonic()
            load.wait_count(80, t_back)
        assert victim not in now and len(now) == WORKERS, (before, now)
        lost = [x for x in load.results if not x[3]]
        assert len(lost) <= 1, 'more than the one request in flight was lost: %s' % [
            (x[1], x[2], x[5]) for x in lost[:5]]
        if lost:
            print('# lost in flight: %s -> %s' % (lost[0][1], lost[0][2]))
        print('# worker %d replaced in %.2f s' % (victim, t_back - t_kill))
    c('worker SIGKILLed under load: replaced, at most one request lost', kill_worker)

    def after_replace():
        res = parallel(h, [GOOD[i % len(GOOD)] for i in range(6 * WORKERS)])
        bad = [x for x in res if not x[2]]
        assert not bad, bad[:5]
    c('after the replacement every request succeeds', after_replace)

    def main_alive():
        assert h.svc.poll() is None, 'main process exited'
        assert len(h.worker_pids()) == WORKERS
    c('main process alive with %d workers' % WORKERS, main_alive)


if __name__ == '__main__':
    main()
