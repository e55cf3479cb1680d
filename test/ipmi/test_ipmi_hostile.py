#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hostile BMCs at the packet level (issue 11): a UDP peer on the BMC's address that
(1) answers every packet at once with random bytes of the same length, or
(2) floods the service with RMCP-looking garbage, 20 packets every 50 ms, whatever it is asked,
or (3) answers every packet with a copy of it (a reflector).

Against each, with ipmi.timeout 1 s and the PLC emulator next to it: a read, a power status and
a live scan end within the IPMI operation bound (4 x timeout + 1 s) with the 1.3 JSON error
naming the board and the BMC's address (the scan: 200 with the board in "errors"); a PLC read
sent meanwhile answers at once; the service log shows no crash, and /metrics reports the board
as down. No ipmi_sim is needed: the peer is this script's own socket.

Exit 0 pass, 1 fail, 77 skip (nginx missing).
"""

import os
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
import harness as H  # noqa: E402

R = H.Runner('test_ipmi_hostile')
P13 = '/opendcre/1.3'
TIMEOUT = 1.0
BOUND = 4 * TIMEOUT + 1.0 + 1.0      # the operation bound, plus 1 s for the test's own scheduling
PROMPT = 1.0
BOARD = '40000001'
PLC_URI = P13 + '/read/thermistor/vapor_plc_rack/00000002/0001'


class HostilePeer:
    """A UDP socket on 127.0.0.9 answering as `mode` says, in a thread of its own."""

    def __init__(self, mode):
        self.mode = mode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.9', 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.05)
        self.peers = set()
        self.received = 0
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(65536)
                self.received += 1
                self.peers.add(peer)
                if self.mode == 'garbage':
                    self.sock.sendto(os.urandom(len(data)), peer)
                elif self.mode == 'reflect':
                    self.sock.sendto(data, peer)
            except socket.timeout:
                pass
            except OSError:
                continue
            if self.mode == 'flood':
                for p in list(self.peers):
                    for _ in range(20):
                        try:    # RMCP header, IPMI 2.0 session (0x06), then noise
                            self.sock.sendto(b'\x06\x00\xff\x07\x06' + os.urandom(43), p)
                        except OSError:
                            pass

    def stop(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


class HostileHarness(H.Harness):
    def __init__(self, peer, **kw):
        self.peer = peer
        super().__init__('api.json', pre_start=lambda h: os.makedirs(os.path.join(h.run, 'sdr')), **kw)

    def config_dict(self):
        d = super().config_dict()
        d['ipmi'] = {'timeout': TIMEOUT, 'sdr_cache_dir': os.path.join(self.run, 'sdr'),
                     'racks': [{'rack_id': 'rack_h', 'bmcs': [{
                         'bmc_ip': '127.0.0.9', 'bmc_port': self.peer.port, 'username': 'admin',
                         'password': 'adminpass', 'board_id': BOARD}]}]}
        d['metrics'] = {'max_age': 1, 'timeout': 8}
        return d


def timed(fn, *a, **kw):
    t = time.monotonic()
    r = fn(*a, **kw)
    return r, time.monotonic() - t


def bounded(h, peer, uri):
    """uri fails within BOUND naming board and address; the PLC bus answers meanwhile."""
    out = {}

    def slow():
        out['r'], out['dt'] = timed(h.fcgi, uri, timeout=60)
    t = threading.Thread(target=slow)
    t.start()
    others = []
    deadline = time.monotonic() + 0.5
    while t.is_alive() and time.monotonic() < deadline:
        r, dt = timed(h.fcgi, PLC_URI)
        H.expect_ok(r, None, PLC_URI)
        others.append(dt)
        time.sleep(0.05)
    t.join(BOUND + 10)
    assert 'r' in out, '%s: no answer' % uri
    assert out['dt'] <= BOUND, '%s: answered after %.2f s (bound %.1f s)' % (uri, out['dt'], BOUND)
    assert others and max(others) < PROMPT, 'PLC reads meanwhile: %r' % others
    H.log('%s: %d after %.2f s; %d PLC reads meanwhile, slowest %.3f s' % (
        uri, out['r'].status, out['dt'], len(others), max(others)))
    return out['r']


def run(mode, what):
    peer = HostilePeer(mode)
    h = HostileHarness(peer, workers=2, name='ipmi-hostile-' + mode)
    try:
        h.start()
    except Exception as e:  # noqa: BLE001
        R.fail('%s: service starts' % what, e)
        peer.stop()
        return
    where = '127.0.0.9:%d' % peer.port
    try:
        def ops():
            for uri in (P13 + '/read/temperature/rack_h/%s/0001' % BOARD,
                        P13 + '/power/rack_h/%s/0100' % BOARD):
                msg = H.expect_error(bounded(h, peer, uri), 500, '1.3', contains=[BOARD, where], what=uri)
                H.log('  %s' % msg)
            body = H.expect_ok(bounded(h, peer, P13 + '/scan/force'), None, 'scan/force')
            errs = [e for e in body['errors'] if e.get('board_id') == BOARD]
            assert errs and where in errs[0]['message'], body['errors']
            assert peer.received > 0, 'the service never sent anything to the hostile peer'
        R.check('%s: read, power and live scan end within %.0f s naming board and address; '
                'PLC reads answer meanwhile' % (what, BOUND), ops)

        def metrics():
            time.sleep(1.2)
            r, dt = timed(h.get, '/metrics', timeout=30)
            assert r.status == 200, r.status
            text = r.body.decode()
            line = 'opendcre_board_up{rack="rack_h",board="%s",backend="ipmi"} 0' % BOARD
            assert line in text, [x for x in text.splitlines() if x.startswith('opendcre_board_up')]
            assert dt <= 8 + 2, '/metrics took %.2f s' % dt
        R.check('%s: /metrics reports the board down, within metrics.timeout' % what, metrics)
    finally:
        R.harness_problems(h, '%s: no crashes or sanitizer reports, clean shutdown' % what)
        peer.stop()


def main():
    H.require_tools()
    run('garbage', 'a BMC answering random bytes')
    run('flood', 'a BMC flooding garbage packets')
    run('reflect', 'a BMC reflecting every packet')


if __name__ == '__main__':
    R.main(main)
