#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A hostile PLC bus peer on a pty (issue 11), for test_hostile_bus.py.

    hostile_bus.py --pty LINK --mode-file FILE

Opens a pty, puts it in raw mode, links LINK to the slave side and prints
`ready LINK SLAVE` like opendcre-emulator. The mode is read from FILE before
each packet is handled (so a test switches modes without a restart):

  anon     answers like the emulator: type 0xFF, board 0, device 0xFFFF
  good     answers carry the request's board and device (real firmware style)
  trickle  never answers; one noise byte (0x55) every 100 ms, forever
  flood    reads as `good`; a scan-all is answered with an endless stream of
           valid dump packets (new board ids) until the next request arrives
  foreign  reads are answered with another device's packet: either with the
           request's sequence number and the other device's board/device
           fields, or a stale (seq - 1) packet of another device followed by
           the right answer
  late     every third answer comes 0.6 s late (after plc.timeout)

A read of board B device D answers fan speed value(B, D) = B * 1000 + D, so a
test can tell the right device's reading from any other.
"""

import os
import select
import sys
import termios
import time
import tty

HEADER, TRAILER = 0x01, 0x04
NOISE = 0x55


def value(board, device):
    return board * 1000 + device


def checksum(b):
    return (256 - sum(b) % 256) % 256


def encode(seq, ptype, board, device, data):
    body = bytes([seq, ptype]) + board.to_bytes(4, 'big') + device.to_bytes(2, 'big') + bytes(data)
    return bytes([HEADER, len(body) + 1]) + body + bytes([checksum(body), TRAILER])


class Peer:
    def __init__(self, link, mode_file):
        self.master, self.slave = os.openpty()
        for fd in (self.master, self.slave):
            tty.setraw(fd)
            a = termios.tcgetattr(fd)
            a[3] &= ~termios.ECHO
            termios.tcsetattr(fd, termios.TCSANOW, a)
        self.slave_name = os.ttyname(self.slave)
        self.link = link
        self.mode_file = mode_file
        self.buf = b''
        self.count = 0
        self.pending = []                          # (due time, late answer)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(self.slave_name, link)
        os.set_blocking(self.master, False)

    def mode(self):
        try:
            with open(self.mode_file) as f:
                return f.read().strip() or 'good'
        except OSError:
            return 'good'

    def write(self, data):
        """Write all of data unless the service stops reading (give up after 1 s)."""
        deadline = time.monotonic() + 1.0
        while data and time.monotonic() < deadline:
            _, w, _ = select.select([], [self.master], [], 0.05)
            if not w:
                continue
            try:
                n = os.write(self.master, data)
            except BlockingIOError:
                continue
            except OSError:
                return
            data = data[n:]

    def fill(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if r:
            try:
                d = os.read(self.master, 4096)
            except (BlockingIOError, OSError):
                d = b''
            self.buf += d
            return bool(d)
        return False

    def packet(self):
        """One request packet from the buffer, or None."""
        while True:
            i = self.buf.find(bytes([HEADER]))
            if i < 0:
                self.buf = b''
                return None
            self.buf = self.buf[i:]
            if len(self.buf) < 2 or len(self.buf) < self.buf[1] + 3:
                return None
            n = self.buf[1] + 3
            frame, self.buf = self.buf[:n], self.buf[n:]
            if n < 12 or frame[-1] != TRAILER or checksum(frame[2:n - 2]) != frame[n - 2]:
                continue
            return (frame[2], frame[3], int.from_bytes(frame[4:8], 'big'),
                    int.from_bytes(frame[8:10], 'big'), frame[10:n - 2])

    def answer(self, seq, board, device, data, anon):
        if anon:
            return encode(seq, 0xFF, 0, 0xFFFF, data)
        return encode(seq, 0xFF, board, device, data)

    def handle(self, seq, ptype, board, device, data):
        mode = self.mode()
        self.count += 1
        if not data:
            return
        cmd = data[:1]
        if cmd == b'D':
            if board & 0x10000000:
                return                              # save packet
            if mode == 'flood' and board & 0x80000000:
                return self.flood(seq)
            for b in (0x10, 0x11):
                for d in (1, 2):
                    self.write(encode(seq, 0x82, b, d, [0x82]))
            return
        if cmd == b'V':
            text = b'hostile 1.0'
            return self.write(self.answer(seq, board, device, text, mode == 'anon'))
        if cmd in (b'R', b'?'):
            right = self.answer(seq, board, device, b'%d' % value(board, device), mode == 'anon')
            if mode == 'foreign':
                ob, od = board + 1, device        # another board, same device number
                if self.count % 3 == 1:
                    od, ob = device % 4 + 1, board  # the same board, another device
                other = b'%d' % value(ob, od)
                if self.count % 2:
                    return self.write(encode(seq, 0xFF, ob, od, other))
                return self.write(encode((seq - 1) % 255, 0xFF, 0, 0xFFFF, other) + right)
            if mode == 'late' and self.count % 3 == 0:
                self.pending.append((time.monotonic() + 0.6, right))
                return
            return self.write(right)
        # anything else: an empty "W1"-style answer keeps the service moving
        self.write(self.answer(seq, board, device, b'W1', mode == 'anon'))

    def flood(self, seq):
        board = 0x100
        stop = time.monotonic() + 60
        while time.monotonic() < stop:
            pkts = b''.join(encode(seq, 0x82, board + i, 1, [0x82]) for i in range(16))
            board += 16
            self.write(pkts)
            if self.fill(0):                       # a new request ends the flood
                return

    def run(self):
        print('ready %s %s' % (self.link, self.slave_name), flush=True)
        next_noise = time.monotonic()
        while True:
            if self.mode() == 'trickle':
                now = time.monotonic()
                if now >= next_noise:
                    self.write(bytes([NOISE]))
                    next_noise = now + 0.1
                self.fill(max(0.0, next_noise - time.monotonic()))
                self.buf = b''                     # never answers
                continue
            self.fill(0.01 if self.pending else 0.05)
            now = time.monotonic()
            while self.pending and self.pending[0][0] <= now:
                self.write(self.pending.pop(0)[1])
            while True:
                p = self.packet()
                if p is None:
                    break
                self.handle(*p)


def main():
    args = sys.argv[1:]
    link = args[args.index('--pty') + 1]
    mode_file = args[args.index('--mode-file') + 1]
    peer = Peer(link, mode_file)
    try:
        peer.run()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    import signal
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    main()
