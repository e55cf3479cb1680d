#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A hostile PLC bus (issue 11, items 1-3).

hostile_bus.py replaces the emulator on the pty. Under each scenario, 4 workers
behind nginx serve concurrent clients reading fan speeds (value = board * 1000 +
device, so another device's reading is recognisable) while a further client polls
/test:

* trickle: one noise byte every 100 ms, never an answer;
* flood: a scan-all is answered with an endless stream of valid dump packets;
* foreign: answers carry another device's board/device fields (right sequence
  number), or a stale packet of another device comes before the right answer;
* late: every third answer comes after plc.timeout;
* the lock file is deleted mid-run (and a worker replaced, so a fresh process
  opens the path);
* the lock file is replaced by a symbolic link mid-run;
* another process holds the bus lock;
* a symbolic link or a FIFO at plc.lockfile at start-up.

Every answer must be the right device's reading (200) or a JSON error, no
request may take longer than the bound derived from the configuration (the
formula of transports/plc/plc_backend.c), and /test keeps answering.
"""

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import harness as H

P12 = '/opendcre/1.2'
P13 = '/opendcre/1.3'
WORKERS = 4
CLIENTS = 4
T, R_LIMIT, BAUD = 0.25, 3, 115200          # the harness's plc.timeout and retry_limit
PEER = os.path.join(H.HERE, 'hostile_bus.py')

# The bounds of plc_backend.c (time_bounds()):
X = (R_LIMIT + 1) * 2 * T                   # one command and its retries
T_CMD = X + 0.5
T_SET = 2 * X + 0.5                         # LED/fan set: write and read-back
T_SCAN = R_LIMIT * (2 * T + 0.15) + 2048 * 130 / BAUD + 0.5
T_MAX = max(T_CMD, T_SET, T_SCAN)
W = 2 * T_MAX                               # waiting for the bus lock
SLACK = 1.5                                 # process, nginx and client overhead
BOUND = W + T_MAX + SLACK                   # one request, lock wait included
TEST_BOUND = BOUND                          # /test may queue behind busy workers

BOARDS = (0x10, 0x11, 0x12, 0x13)
DEVICES = (1, 2, 3, 4)
R = H.Runner('test_hostile_bus')


def value(board, device):
    return board * 1000 + device


class Hostile(H.Harness):
    """The harness with hostile_bus.py in place of the emulator."""

    def start_emulator(self, timeout=10.0):
        self._emu_logs += 1
        logpath = os.path.join(self.run, 'emulator-%d.log' % self._emu_logs)
        self.emu_log = logpath
        self.mode_file = os.path.join(self.run, 'mode')
        self.set_mode(getattr(self, 'initial_mode', 'good'))
        with open(logpath, 'wb') as errf:
            self.emu = subprocess.Popen([sys.executable, PEER, '--pty', self.link,
                                         '--mode-file', self.mode_file],
                                        stdout=subprocess.PIPE, stderr=errf,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        line = self.emu.stdout.readline().decode()
        parts = line.split()
        if len(parts) != 3 or parts[0] != 'ready':
            raise H.HarnessError('hostile peer: unexpected ready line %r' % line)
        self.slave = parts[2]
        self.expect_emulator_dead = False
        return self.emu

    def set_mode(self, mode):
        with open(self.mode_file + '.new', 'w') as f:
            f.write(mode + '\n')
        os.replace(self.mode_file + '.new', self.mode_file)


class Load:
    """CLIENTS threads reading fan speeds, one polling /test, optionally one scanning."""

    def __init__(self, h, scan=False):
        self.h = h
        self.stop_ev = threading.Event()
        self.res = []     # (kind, path, t0, elapsed, status, verdict, detail)
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.reader, args=(i,)) for i in range(CLIENTS)]
        self.threads.append(threading.Thread(target=self.tester))
        if scan:
            self.threads.append(threading.Thread(target=self.scanner))

    def record(self, *row):
        with self.lock:
            self.res.append(row)

    def one(self, kind, path, check):
        t0 = time.monotonic()
        try:
            r = self.h.get(path, timeout=BOUND + 20)
        except Exception as e:  # noqa: BLE001 - a timeout or a dropped connection
            self.record(kind, path, t0, time.monotonic() - t0, None, 'no answer',
                        '%s: %s' % (type(e).__name__, e))
            return
        dt = time.monotonic() - t0
        verdict, detail = check(r, path)
        self.record(kind, path, t0, dt, r.status, verdict, detail)

    def reader(self, i):
        n = i * 5
        while not self.stop_ev.is_set():
            b, d = BOARDS[n % 4], DEVICES[(n // 4) % 4]
            n += 1
            self.one('read', P12 + '/read/fan_speed/%08x/%04x' % (b, d), read_check(b, d))

    def tester(self):
        while not self.stop_ev.is_set():
            self.one('test', P12 + '/test', test_check)
            time.sleep(0.2)

    def scanner(self):
        while not self.stop_ev.is_set():
            self.one('scan', P13 + '/scan/force', scan_check)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *a):
        self.stop_ev.set()
        for t in self.threads:
            t.join(BOUND + 30)

    def rows(self, kind=None, since=0.0):
        with self.lock:
            return [r for r in self.res if (kind is None or r[0] == kind) and r[2] >= since]


def json_error(r, path):
    try:
        H.expect_error(r, 500, H.version_of(path), what=path)
        return True
    except AssertionError:
        return False


def read_check(b, d):
    def check(r, path):
        if r.status == 200:
            try:
                body = r.json()
            except ValueError:
                return 'bad', 'not JSON: %r' % r.body[:100]
            if body == {'speed_rpm': value(b, d)}:
                return 'right', None
            return 'wrong', 'another reading: %r' % body
        if json_error(r, path):
            return 'error', r.json().get('message')
        return 'bad', 'status %d body %r' % (r.status, r.body[:200])
    return check


def test_check(r, path):
    try:
        if r.status == 200 and r.json() == {'status': 'ok'}:
            return 'right', None
    except ValueError:
        pass
    return 'bad', 'status %d body %r' % (r.status, r.body[:200])


def scan_check(r, path):
    if r.status == 200:
        try:
            boards = r.json()['racks'][0]['boards']
        except (ValueError, KeyError, IndexError, TypeError):
            return 'bad', 'scan body %r' % r.body[:200]
        return ('right', None) if len(boards) <= 256 else ('bad', '%d boards' % len(boards))
    if json_error(r, path):
        return 'error', r.json().get('message')
    return 'bad', 'status %d body %r' % (r.status, r.body[:200])


def summary(load, title):
    rows = load.rows()
    by = {}
    for r in rows:
        by.setdefault((r[0], r[5]), []).append(r[3])
    parts = ['%s/%s=%d (max %.2f s)' % (k[0], k[1], len(v), max(v)) for k, v in sorted(by.items())]
    H.log('%s: %s' % (title, ', '.join(parts)))
    errs = sorted({r[6] for r in rows if r[5] == 'error'})[:4]
    for e in errs:
        H.log('  error: %s' % e)


def check_load(load, title, need_right=False, need_error=False, no_error=False):
    rows = load.rows()
    summary(load, title)
    bad = [r for r in rows if r[5] in ('wrong', 'bad', 'no answer')]
    # the request in flight on a worker the test SIGKILLs is lost (nginx answers 502)
    killed = getattr(load.h, 'killed_at', None)
    lost = [r for r in bad if killed and r[4] == 502 and r[2] <= killed <= r[2] + r[3] + 0.5]
    if lost:
        H.log('%s: one request lost with the killed worker' % title)
        bad.remove(lost[0])
    assert not bad, '%s: %d answers neither the right reading nor a JSON error, e.g. %r' % (
        title, len(bad), [(r[1], r[4], r[6]) for r in bad[:3]])
    slow = [r for r in rows if r[3] > (TEST_BOUND if r[0] == 'test' else BOUND)]
    assert not slow, '%s: %d requests over the bound of %.1f s, e.g. %r' % (
        title, len(slow), BOUND, [(r[1], round(r[3], 2)) for r in slow[:3]])
    tests = [r for r in rows if r[0] == 'test']
    assert tests and all(r[5] == 'right' for r in tests), '%s: /test did not keep answering' % title
    reads = [r for r in rows if r[0] == 'read']
    if need_right:
        assert any(r[5] == 'right' for r in reads), '%s: no read succeeded' % title
    if need_error:
        assert any(r[5] == 'error' for r in reads), '%s: no read failed' % title
    if no_error:
        errs = [r for r in reads if r[5] != 'right' and r not in lost[:1]]
        assert not errs, '%s: %d of %d reads failed on a good bus (two workers on the line?), ' \
            'e.g. %r' % (title, len(errs), len(reads), [r[6] for r in errs[:3]])


def scenario(title, mode, duration, action=None, scan=False, workers_may_change=0,
             need_right=False, need_error=False, no_error=False, after=None):
    h = Hostile('concurrency.json', workers=WORKERS, name='hostile')
    h.initial_mode = mode
    try:
        h.start()
    except Exception as e:  # noqa: BLE001
        R.fail('%s: start' % title, e)
        return
    h.allowed_worker_changes = workers_may_change
    try:
        with Load(h, scan=scan) as load:
            if action:
                action(h, load)
            time.sleep(duration)
        R.check('%s: every answer is the right reading or a JSON error, within %.1f s, '
                '/test answers' % (title, BOUND), check_load, load, title, need_right, need_error, no_error)
        if after:
            after(h, load)
    finally:
        R.harness_problems(h, '%s: no crashes, clean shutdown' % title)


# ---- scenario actions

def lock_deleted(h, load):
    time.sleep(2)
    os.unlink(h.lockfile)
    H.log('lock file deleted')
    # a fresh worker opens the path: kill one, the supervisor replaces it
    kill_worker(h)


def kill_worker(h):
    victim = h.worker_pids()[0]
    h.killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)


def lock_symlink(h, load):
    target = os.path.join(h.run, 'precious.txt')
    with open(target, 'w') as f:
        f.write('precious data\n')
    h.symlink_target = target
    time.sleep(2)
    tmp = h.lockfile + '.sym'
    os.symlink(target, tmp)
    os.replace(tmp, h.lockfile)
    h.symlink_at = time.monotonic()
    H.log('lock file replaced by a symbolic link')
    kill_worker(h)


def after_symlink(h, load):
    def target_intact():
        with open(h.symlink_target) as f:
            text = f.read()
        assert text == 'precious data\n', 'the symlink target was changed: %r' % text
    R.check('symlink: the link target is untouched', target_intact)

    def refused():
        # requests started well after the swap (in-flight transactions drained)
        late = [r for r in load.rows('read', since=h.symlink_at + BOUND) if r[5] != 'no answer']
        H.log('symlink: %d reads after the swap settled' % len(late))
        assert late, 'no read after the swap'
        assert all(r[5] == 'error' and 'symbolic link' in (r[6] or '') for r in late), \
            'reads after the swap: %r' % [(r[5], r[6]) for r in late[:3]]
    R.check('symlink: bus requests fail with an error naming the symbolic link', refused)

    def recovers():
        os.unlink(h.lockfile)
        path = P12 + '/read/fan_speed/%08x/%04x' % (0x12, 3)
        deadline = time.monotonic() + BOUND
        while True:
            r = h.get(path, timeout=BOUND + 5)
            if r.status == 200:
                assert r.json() == {'speed_rpm': value(0x12, 3)}, r.body
                return
            assert time.monotonic() < deadline, 'no recovery: %r' % r
            time.sleep(0.2)
    R.check('symlink removed: the bus works again', recovers)


def lock_held(h, load):
    time.sleep(1)
    fd = os.open(h.lockfile, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    # long enough that a client stuck in a wait that began before the lock was taken still
    # starts another read early enough to reach the wait bound before the release
    hold = BOUND + W + 2
    H.log('lock taken by the test for %.1f s' % hold)
    h.held_from = time.monotonic()
    time.sleep(hold)
    os.close(fd)
    h.held_until = time.monotonic()


def after_held(h, load):
    def timed_out():
        # started while the lock was held, early enough to reach the wait bound before release
        rows = [r for r in load.rows('read', since=h.held_from) if r[2] < h.held_until - W - 0.5]
        assert rows, 'no read while the lock was held'
        assert all(r[5] == 'error' and 'lock' in (r[6] or '') for r in rows), \
            [(r[5], r[6]) for r in rows[:3]]
    R.check('lock held elsewhere: reads fail naming the lock wait', timed_out)


def startup_refusals():
    """A symbolic link or a FIFO at plc.lockfile: start-up fails naming it (never follows
    the link, never truncates its target, never hangs on the FIFO)."""
    outside = tempfile.mkdtemp(prefix='opendcre-hostile-target-')
    for kind, expect in (('symlink', 'symbolic link'), ('fifo', 'not a regular file')):
        def plant(h, kind=kind):
            if kind == 'symlink':
                h.target = os.path.join(outside, 'precious.txt')   # outlives the run dir
                with open(h.target, 'w') as f:
                    f.write('precious data\n')
                os.symlink(h.target, h.lockfile)
            else:
                os.mkfifo(h.lockfile)
        h = Hostile('concurrency.json', workers=1, name='hostile', pre_start=plant,
                    start_nginx=False)

        def refused(h=h, expect=expect, kind=kind):
            t0 = time.monotonic()
            try:
                h.start()
            except H.HarnessError as e:
                assert expect in str(e), 'start-up error does not name the cause: %s' % e
            else:
                h.stop()
                raise AssertionError('the service started with a %s at plc.lockfile' % kind)
            assert time.monotonic() - t0 < 15, 'start-up took %.1f s' % (time.monotonic() - t0)
            if kind == 'symlink':
                with open(h.target) as f:
                    assert f.read() == 'precious data\n', 'the link target was changed'
        R.check('start-up with a %s at plc.lockfile: refused, naming it' % kind, refused)
    shutil.rmtree(outside, ignore_errors=True)


def main():
    H.require_tools()
    only = sys.argv[1:]

    def want(name):
        return not only or name in only
    if want('trickle'):
        scenario('trickle', 'trickle', 8, need_error=True)
    if want('flood'):
        scenario('flood', 'flood', 8, scan=True, need_right=True)
    if want('foreign'):
        scenario('foreign', 'foreign', 8, need_right=True, need_error=True)
    if want('late'):
        scenario('late', 'late', 8, need_right=True, need_error=True)
    if want('deleted'):
        scenario('lock deleted', 'anon', 8, action=lock_deleted, workers_may_change=1,
                 need_right=True, no_error=True)
    if want('symlink'):
        scenario('lock symlink', 'anon', 6 + BOUND, action=lock_symlink, workers_may_change=1,
                 after=after_symlink)
    if want('startup'):
        startup_refusals()
    if want('held'):
        scenario('lock held', 'good', 2, action=lock_held, need_right=True, after=after_held)
    R.finish()


if __name__ == '__main__':
    main()
