#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Integration tests of opendcre-emulator (spec/emulator.md).

Starts the real emulator on a pty (--pty), talks to it through the link in
raw mode and checks the exact answer bytes. Silence is checked without sleeps:
the emulator answers packets strictly in order, so after a request that must
stay unanswered a "sync" request (V to board 0x99, firmware "SYNC") is sent
and the very next bytes on the line must be the sync answer.

Environment: EMULATOR = path of the opendcre-emulator binary.
Stdlib only. Prints TAP-style lines; exit status 1 if any test fails.
"""

import json
import glob
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import tty

EMU = os.environ.get("EMULATOR", "")
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
DEMO = os.path.join(HERE, "..", "..", "emulator", "data", "demo.json")

# Type codes (conversions.md §1)
VAPOR_LED, LED, SYSTEM, POWER = 0x08, 0x10, 0x12, 0x40
VAPOR_RECTIFIER, VAPOR_BATTERY, HUMIDITY = 0x48, 0x4A, 0x4E
FAN_SPEED, VAPOR_FAN, CURRENT, TEMPERATURE = 0x82, 0x88, 0x90, 0x9A
THERMISTOR, PRESSURE, NONE = 0x9C, 0xEE, 0xFF
TYPE_CODES = {
    "vapor_led": VAPOR_LED, "led": LED, "system": SYSTEM, "power": POWER,
    "vapor_rectifier": VAPOR_RECTIFIER, "vapor_battery": VAPOR_BATTERY,
    "humidity": HUMIDITY, "fan_speed": FAN_SPEED, "vapor_fan": VAPOR_FAN,
    "current": CURRENT, "temperature": TEMPERATURE, "thermistor": THERMISTOR,
    "pressure": PRESSURE, "power_supply": 0xF0, "airflow": 0xF2, "none": NONE,
}

SCAN_ALL, SHUFFLE, SAVE = 0x80000000, 0x20000000, 0x10000000
SYNC_BOARD, SYNC_SEQ = 0x99, 0xFE


# ---- packet helpers (plc-protocol.md §2) ------------------------------------

def checksum(b):
    return (256 - sum(b) % 256) % 256


def frame(seq, typ, board, dev, data):
    body = bytes([seq, typ]) + board.to_bytes(4, "big") + dev.to_bytes(2, "big") + bytes(data)
    return bytes([1, len(body) + 1]) + body + bytes([checksum(body), 4])


def value(seq, text):
    """A response packet built from a value (emulator.md §3)."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    return frame(seq, 0xFF, 0, 0xFFFF, text)


def dump(seq, code, board, dev):
    return frame(seq, code, board, dev, bytes([code]))


def corrupt(b):
    return bytes(x if x in (1, 4) else (x + 1) % 255 for x in b)


def parse_frames(buf):
    """Split a byte string of back-to-back valid packets; asserts validity."""
    out = []
    while buf:
        assert buf[0] == 1, "bad header in %s" % buf.hex(" ")
        n = buf[1] + 3
        f = buf[:n]
        assert len(f) == n and f[-1] == 4, "bad frame %s" % f.hex(" ")
        assert checksum(f[2:-2]) == f[-2], "bad checksum %s" % f.hex(" ")
        out.append(f)
        buf = buf[n:]
    return out


# golden vectors of plc-protocol.md §2.1 keep the helpers honest
assert frame(3, 0x40, 0x12345678, 0xAA05, b"\x01\x02\x03") == bytes.fromhex(
    "01 0C 03 40 12 34 56 78 AA 05 01 02 03 F4 04")
assert value(5, "656") == bytes.fromhex("01 0C 05 FF 00 00 00 00 FF FF 36 35 36 5D 04")
assert dump(2, THERMISTOR, 1, 0x01FF) == bytes.fromhex("01 0A 02 9C 00 00 00 01 01 FF 9C C5 04")
assert frame(3, 0xFF, 0x8023544B, 0xFFFF, b"D") == bytes.fromhex(
    "01 0A 03 FF 80 23 54 4B FF FF 44 7A 04")
assert value(8, "W1") == bytes.fromhex("01 0B 08 FF 00 00 00 00 FF FF 57 31 73 04")


# ---- the emulator under test ---------------------------------------------------

# Everything a test starts or creates; cleaned up after each test, pass or fail.
STARTED = []
TMPDIRS = []


def mkdtemp():
    d = tempfile.mkdtemp(prefix="emu-test-")
    TMPDIRS.append(d)
    return d


def cleanup():
    while STARTED:
        STARTED.pop().kill()
    while TMPDIRS:
        shutil.rmtree(TMPDIRS.pop(), ignore_errors=True)


class Emu:
    def __init__(self, data, extra=(), link=None):
        self.dir = mkdtemp()
        self.link = link or os.path.join(self.dir, "bus")
        self.errpath = os.path.join(self.dir, "stderr")
        self.err = open(self.errpath, "wb")
        self.proc = subprocess.Popen(
            [EMU, "--pty", self.link, "--data", data] + list(extra),
            stdout=subprocess.PIPE, stderr=self.err)
        self.fd = None
        STARTED.append(self)
        line = self._readline(10)
        want = "ready %s /dev/pts/" % self.link
        assert line.startswith(want), "no ready line, got %r; stderr: %s" % (line, self.stderr())
        self.slave = line.split()[2]
        assert os.path.realpath(self.link) == self.slave
        self.fd = os.open(self.link, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        self.seq = 0

    def _readline(self, timeout):
        deadline = time.monotonic() + timeout
        buf = b""
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                break
            c = os.read(self.proc.stdout.fileno(), 1)
            if not c:
                break
            buf += c
        return buf.decode()

    def stderr(self):
        with open(self.errpath, "rb") as f:
            return f.read().decode(errors="replace")

    def next_seq(self):
        self.seq = (self.seq + 1) % 255
        return self.seq

    def send(self, raw):
        os.write(self.fd, raw)

    def read(self, n, timeout=5):
        deadline = time.monotonic() + timeout
        buf = b""
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                break
            buf += os.read(self.fd, n - len(buf))
        return buf

    def req(self, typ, board, dev, data, seq=None):
        if seq is None:
            seq = self.next_seq()
        self.send(frame(seq, typ, board, dev, data))
        return seq

    def expect(self, want, what=""):
        """Read exactly the expected bytes."""
        got = self.read(len(want))
        assert got == want, "%s\n  want %s\n  got  %s" % (what, want.hex(" "), got.hex(" "))

    def sync(self, what=""):
        """Prove that nothing but the sync answer is pending on the line."""
        self.send(frame(SYNC_SEQ, 0xFF, SYNC_BOARD, 0xFFFF, b"V"))
        self.expect(value(SYNC_SEQ, "SYNC"), "sync after " + what)

    def check(self, typ, board, dev, data, answer, what=None, sync=True):
        """Send a request and require exactly `answer` (a function of the
        sequence number, bytes, or None for silence)."""
        seq = self.req(typ, board, dev, data)
        want = b"" if answer is None else (answer(seq) if callable(answer) else answer)
        what = what or "%s to %08x/%04x" % (bytes(data), board, dev)
        if sync:
            self.send(frame(SYNC_SEQ, 0xFF, SYNC_BOARD, 0xFFFF, b"V"))
            want += value(SYNC_SEQ, "SYNC")
        self.expect(want, what)
        return seq

    def close_fd(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def stop(self, sig=signal.SIGTERM):
        self.close_fd()
        self.proc.send_signal(sig)
        rc = self.proc.wait(10)
        rest = self.proc.stdout.read()
        self.proc.stdout.close()
        self.err.close()
        assert rc == 0, "exit status %d after %s; stderr: %s" % (rc, sig, self.stderr())
        assert rest == b"", "more output after the ready line: %r" % rest
        assert not os.path.lexists(self.link), "link not removed"

    def kill(self):
        self.close_fd()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.proc.stdout.closed:
            self.proc.stdout.close()
        if not self.err.closed:
            self.err.close()


def val(text):
    return lambda seq: value(seq, text)


def items_emu():
    return Emu(os.path.join(DATA, "items.json"))


# ---- tests -------------------------------------------------------------------

def test_item_kinds(e):
    """string, "", true, false, UTF-8, exact big integer, negative integer,
    null (silence, cursor advances), raw list, then silence when used up."""
    b, d = 1, 0x0003
    e.check(HUMIDITY, b, d, b"R", val("abc"))
    e.check(HUMIDITY, b, d, b"R", val(""))
    e.check(HUMIDITY, b, d, b"R", val("True"))
    e.check(HUMIDITY, b, d, b"R", val("False"))
    e.check(HUMIDITY, b, d, b"R", val("h\u00e9llo"))
    e.check(HUMIDITY, b, d, b"R", val("12345678901234567890"), "exact big integer")
    e.check(HUMIDITY, b, d, b"R", val("-42"))
    e.check(HUMIDITY, b, d, b"R", None, "null item")
    e.check(HUMIDITY, b, d, b"R",
            lambda s: value(s, ""), "raw item (an empty-payload packet)")
    e.check(HUMIDITY, b, d, b"R", None, "used-up list 1")
    e.check(HUMIDITY, b, d, b"R", None, "used-up list 2")


def test_numbers(e):
    """Non-integer numbers use Python 2 str(); a non-repeatable list ends."""
    for text in ["21.5", "30.0", "1e+16", "28.78", "-0.5"]:
        e.check(TEMPERATURE, 1, 0x0002, b"R", val(text))
    e.check(TEMPERATURE, 1, 0x0002, b"R", None, "after the last item")


def test_repeatable(e):
    for text in ["600", "610", "600", "610", "600"]:
        e.check(THERMISTOR, 1, 0x01FF, b"R", val(text))


def test_golden_read(e):
    """plc-protocol.md §2.1: read response '656'-style header and checksum."""
    e.send(frame(5, THERMISTOR, 1, 0x01FF, b"R"))
    e.expect(bytes.fromhex("01 0C 05 FF 00 00 00 00 FF FF 36 30 30 68 04"))
    e.sync()


def test_raw_sentinels(e):
    b, d = 1, 0x0004

    def noise(s):
        pkt = [s, 255, 0, 0, 0, 0, 255, 255, 50, 56, 46, 53]
        return bytes([0, 2, 3, 1, 13] + pkt + [checksum(pkt), 4])

    body = [7, 255, 0, 0, 0, 0, 255, 255, 49, 50, 51]
    e.check(PRESSURE, b, d, b"R", noise, "noise + 999 + 1005")
    e.check(PRESSURE, b, d, b"R", bytes([1, 12] + body + [checksum(body), 4]),
            "hard-coded sequence")
    e.check(PRESSURE, b, d, b"R",
            lambda s: bytes([1, 12, s, 255, 0, 0, 0, 0, 255, 255, 49, 50]), "truncated",
            sync=False)
    # raw lists are written verbatim: the next answer follows the 12 bytes
    e.check(PRESSURE, b, d, b"R",
            lambda s: bytes([1, 12, s, 255, 0, 0, 0, 0, 255, 255, 49, 50, 51,
                             checksum([s, 255, 0, 0, 0, 0, 255, 255, 49, 50, 51]), 3]),
            "bad trailer")
    e.check(PRESSURE, b, d, b"R",
            lambda s: bytes([1, 12, s, 255, 0, 0, 0, 0, 255, 255, 49, 50, 51,
                             checksum([s, 255, 0, 0, 0, 0, 255, 255, 49, 50, 51]), 4, 85, 170]),
            "trailing garbage")
    e.check(PRESSURE, b, d, b"R", None, "empty raw list")
    e.check(PRESSURE, b, d, b"R", noise, "wraps")


def test_retry_lists(e):
    """? uses the retry list with the ? packet's seq; the previous command
    stays the original across consecutive retries; retry lists wrap."""
    b, d = 1, 0x0009
    e.check(POWER, b, d, b"P?", val("0,0,0,0"), sync=False)
    for text in ["retry-1", "retry-2", "retry-1"]:
        e.check(POWER, b, d, b"?", val(text), "retry " + text, sync=False)
    # the ? packet's own type/board/device are not used
    e.check(THERMISTOR, 7, 7, b"?", val("retry-2"), "retry with other ids", sync=False)
    e.check(POWER, b, d, b"P1", val("64,0,0,0"), sync=False)
    e.check(POWER, b, d, b"P0", val("0,0,0,0"), "P answers every sub-command")
    e.check(POWER, b, d, b"P", val("64,0,0,0"), "bare P")


def test_retry_normal_list(e):
    """Without a retry list, ? consumes the normal list."""
    b, d = 1, 0x01FF
    e.check(THERMISTOR, b, d, b"R", val("600"), sync=False)
    e.check(THERMISTOR, b, d, b"?", val("610"), sync=False)
    e.check(THERMISTOR, b, d, b"?", val("600"), sync=False)
    e.check(THERMISTOR, b, d, b"R", val("610"))


def test_retry_board_level(e):
    # fresh emulator: ? with no previous command
    e.check(NONE, 1, 0xFFFF, b"?", None, "? without a previous command")
    # V without retry_firmware_version, then D without retry_raw_data: silence
    e.check(NONE, 1, 0xFFFF, b"V", val("Board One v1"), sync=False)
    e.check(NONE, 1, 0xFFFF, b"?", None, "? after V without retry list", sync=False)
    e.check(NONE, 3, 0xFFFF, b"D", None, "board without devices", sync=False)
    e.check(NONE, 3, 0xFFFF, b"?", None, "? after D without retry list")
    # board 2: raw firmware and retry lists
    rawfw = lambda s: bytes([1, 13, s, 255, 0, 0, 0, 0, 255, 255, 114, 97, 119, 33,
                             checksum([s, 255, 0, 0, 0, 0, 255, 255, 114, 97, 119, 33]), 4])
    e.check(NONE, 2, 0xFFFF, b"V", rawfw, "raw firmware_version", sync=False)
    e.check(NONE, 2, 0xFFFF, b"?", lambda s: value(s, ""), "retry_firmware_version",
            sync=False)
    e.check(NONE, 2, 0xFFFF, b"?", lambda s: value(s, ""), "retry_firmware_version wraps",
            sync=False)
    e.check(NONE, 2, 0xFFFF, b"D",
            lambda s: dump(s, THERMISTOR, 2, 1) + dump(s, HUMIDITY, 2, 2), "raw_data",
            sync=False)
    e.check(NONE, 2, 0xFFFF, b"?", lambda s: dump(s, THERMISTOR, 2, 9), "retry_raw_data",
            sync=False)
    e.check(NONE, 2, 0xFFFF, b"?", lambda s: dump(s, THERMISTOR, 2, 9), "retry wraps")


def test_matching(e):
    # wrong type byte: silence
    e.check(LED, 1, 0x01FF, b"R", None, "wrong type")
    e.check(THERMISTOR, 1, 0x0001, b"R", None, "wrong device id")
    e.check(THERMISTOR, 4, 0x01FF, b"R", None, "unknown board")
    e.check(THERMISTOR, 1, 0x01FF, b"R1", None, "R with extra data")
    e.check(THERMISTOR, 1, 0x01FF, b"Z", None, "unknown letter")
    e.check(THERMISTOR, 1, 0x01FF, b"", None, "empty data")
    e.check(THERMISTOR, 1, 0x01FF, b"A", None, "no asset_info section")
    # fan_speed packets also match vapor_fan devices
    e.check(FAN_SPEED, 1, 0x0010, b"R", val("777"), "fan_speed packet, vapor_fan device")
    e.check(VAPOR_FAN, 1, 0x0010, b"R", val("777"), "vapor_fan packet")
    e.check(FAN_SPEED, 1, 0x0010, b"W\xff100", val("W1"), "fan write")
    # but not the other way round
    e.check(VAPOR_FAN, 1, 0x0005, b"R", None, "vapor_fan packet, fan_speed device")
    # P matches power, vapor_rectifier and vapor_battery whatever the type byte
    e.check(POWER, 1, 0x0011, b"P?", val("rect"))
    e.check(SYSTEM, 1, 0x0011, b"P?", val("rect"))
    e.check(POWER, 1, 0x0012, b"P?", val("charging,100"))
    e.check(VAPOR_BATTERY, 1, 0x0012, b"P?", val("charging,100"))
    e.check(LED, 1, 0x0009, b"P?", val("0,0,0,0"))
    # ... but R does not get that exception
    e.check(POWER, 1, 0x0010, b"R", None, "R with the power type byte")
    # non-repeatable list of a stateless system device; empty list
    e.check(SYSTEM, 1, 0x000A, b"A", val("asset"))
    e.check(SYSTEM, 1, 0x000A, b"A", None, "asset used up")
    e.check(SYSTEM, 1, 0x000A, b"B?", val("B1"))
    e.check(SYSTEM, 1, 0x000A, b"B2", None, "boot used up")
    e.check(SYSTEM, 1, 0x000A, b"H", None, "empty responses list")
    # board ids compare numerically ("0x2"), device ids too ("1")
    e.check(THERMISTOR, 2, 0x0001, b"R", val("5"))
    # stateless chamber LED uses its write list
    e.check(VAPOR_LED, 1, 0x0014, b"L1,rack_1,ff0000,1", val("1,ff0000,1"))


def test_scan_single(e):
    def board1(s):
        devs = json.load(open(os.path.join(DATA, "items.json")))["boards"][0]["devices"]
        return b"".join(dump(s, TYPE_CODES[x["device_type"]], 1, int(x["device_id"], 16))
                        for x in devs)
    e.check(NONE, 1, 0xFFFF, b"D", board1, "dump board 1")
    # raw_data entries wrap; a null entry is silence
    e.check(NONE, 2, 0xFFFF, b"D",
            lambda s: dump(s, THERMISTOR, 2, 1) + dump(s, HUMIDITY, 2, 2), "raw_data[0]")
    e.check(NONE, 2, 0xFFFF, b"D", None, "raw_data[1] is null")
    e.check(NONE, 2, 0xFFFF, b"D",
            lambda s: dump(s, THERMISTOR, 2, 1) + dump(s, HUMIDITY, 2, 2), "raw_data wraps")
    # the SAVE bit makes D ignored, even for a single board
    e.check(NONE, SAVE | 1, 0xFFFF, b"D", None, "save bit")
    e.check(NONE, SCAN_ALL | SAVE, 0xFFFF, b"D", None, "save packet")
    # a board id with SHUFFLE but no SCAN_ALL is a single-board scan of that id
    e.check(NONE, SHUFFLE | 1, 0xFFFF, b"D", None, "no board 0x20000001")
    # golden dump answer (plc-protocol.md §2.1)
    e.send(frame(2, 0xFF, 1, 0xFFFF, b"D"))
    e.expect(bytes.fromhex("01 0A 02 9C 00 00 00 01 01 FF 9C C5 04"), "golden dump")
    e.read(len(board1(2)) - 13)
    e.sync()


def test_version(e):
    e.check(NONE, 1, 0xFFFF, b"V", val("Board One v1"))
    e.check(NONE, 0x00000001, 0x1234, b"V", val("Board One v1"), "V ignores the device id")
    e.check(NONE, 5, 0xFFFF, b"V", None, "no such board")


def test_stateful_led_fan(e):
    e.check(LED, 1, 0x0006, b"R", val("0"))
    e.check(LED, 1, 0x0006, b"W1", val("W1"))
    e.check(LED, 1, 0x0006, b"R", val("1"), "LED read-back")
    e.check(LED, 1, 0x0006, b"W0", val("W1"))
    e.check(LED, 1, 0x0006, b"R", val("0"))
    e.check(FAN_SPEED, 1, 0x0005, b"R", val("4100"))
    e.check(FAN_SPEED, 1, 0x0005, b"W\xff4200", val("W1"))
    e.check(FAN_SPEED, 1, 0x0005, b"R", val("4200"), "fan read-back")
    e.check(FAN_SPEED, 1, 0x0005, b"W\xff0050", val("W1"))
    e.check(FAN_SPEED, 1, 0x0005, b"R", val("0050"), "digits kept")
    # vapor_fan stateful, addressed with a fan_speed packet
    e.check(FAN_SPEED, 1, 0x0015, b"W\xff250", val("W1"))
    e.check(VAPOR_FAN, 1, 0x0015, b"R", val("250"))
    # a stateful retry is answered from the state
    e.check(FAN_SPEED, 1, 0x0005, b"R", val("0050"), sync=False)
    e.check(FAN_SPEED, 1, 0x0005, b"?", val("0050"), "retry of a stateful read")


def test_stateful_power(e):
    d = 0x0007
    e.check(POWER, 1, d, b"R", None, "no read key")
    e.check(POWER, 1, d, b"P?", val("P-a"))
    e.check(POWER, 1, d, b"P?", val("P-b"))
    e.check(POWER, 1, d, b"P?", val("P-a"), "list cycles")
    e.check(POWER, 1, d, b"P1", val("on-2"), "one device-level cursor")
    e.check(POWER, 1, d, b"P?", val("on-1"))
    e.check(POWER, 1, d, b"P0", val("off"))
    e.check(POWER, 1, d, b"PC", val("off"), "cycle leaves the state")
    e.check(POWER, 1, d, b"P", val("off"), "bare P")
    e.check(POWER, 1, d, b"P1", val("on-2"))


def test_stateful_boot(e):
    d = 0x0008
    e.check(SYSTEM, 1, d, b"B?", val("B0"))
    e.check(SYSTEM, 1, d, b"B2", val("B2"), "B2 stores no_override's value")
    e.check(SYSTEM, 1, d, b"B?", val("B2"))
    e.check(SYSTEM, 1, d, b"B1", val("B1"), "B1 stores pxe's value")
    e.check(SYSTEM, 1, d, b"B0", val("B0"), "B0 stores hdd's value")
    e.check(SYSTEM, 1, d, b"B1", val("B1"), sync=False)
    e.check(SYSTEM, 1, d, b"?", val("B1"), "retry from the state")
    # lists on a stateful device: asset_info with its retry list, host_info
    e.check(SYSTEM, 1, d, b"A", val("asset-1"), sync=False)
    e.check(SYSTEM, 1, d, b"?", val("asset-retry"), sync=False)
    e.check(SYSTEM, 1, d, b"A", val("asset-2"))
    e.check(SYSTEM, 1, d, b"H", val("i10.0.0.1,hhost"))


def test_chamber_led(e):
    d = 0x0013
    e.check(VAPOR_LED, 1, d, b"L-1,rack_1,ffffff,-1", val("0,000000,0"), "initial state")
    e.check(VAPOR_LED, 1, d, b"L1,rack_1,ff0000,1", val("1,ff0000,1"))
    e.check(VAPOR_LED, 1, d, b"L0,rack,2,00ff00,0", val("0,00ff00,0"), "rack with a comma")
    e.check(VAPOR_LED, 1, d, b"L-1,rack_1,-1,-1", val("1,ff0000,1"), "per-rack state")
    e.check(VAPOR_LED, 1, d, b"L-1,rack,2,-1,-1", val("0,00ff00,0"))
    e.check(VAPOR_LED, 1, d, b"L-1,rack_3,-1,0", val("-1,-1,0"), "blink not -1 copies")
    # a command that cannot be split is an internal error: no answer, and the
    # previous command is forgotten
    e.check(VAPOR_LED, 1, d, b"L1,2", None, "malformed", sync=False)
    e.check(VAPOR_LED, 1, d, b"?", None, "? after an internal error")


def scanall_emu():
    return Emu(os.path.join(DATA, "scanall.json"))


def scan_answer(s, bad=None):
    b1 = dump(s, THERMISTOR, 1, 0x01FF) + dump(s, LED, 1, 2)
    b2 = dump(s, HUMIDITY, 2, 1)
    b3 = dump(s, THERMISTOR, 3, 1)
    return b"".join(corrupt(x) if i == bad else x for i, x in ((1, b1), (2, b2), (3, b3)))


def test_scanall(e):
    sa = SCAN_ALL | 0x23544B
    re = sa | SHUFFLE
    # scenario 0: ok
    e.check(NONE, sa, 0xFFFF, b"D", lambda s: scan_answer(s), "scenario 0 ok")
    # save packet: ignored, does not consume a scenario
    e.check(NONE, SCAN_ALL | SAVE, 0xFFFF, b"D", None, "save")
    # scenario 1: error on board 2 twice, ok on the second SHUFFLE re-send
    # (re-sends reuse the scan's sequence number)
    s = e.check(NONE, sa, 0xFFFF, b"D", lambda s: scan_answer(s, 2), "scenario 1 initial",
                sync=False)
    e.send(frame(s, 0xFF, re, 0xFFFF, b"D"))
    e.expect(scan_answer(s, 2), "scenario 1 retry 1 error")
    e.send(frame(s, 0xFF, re, 0xFFFF, b"D"))
    e.expect(scan_answer(s), "scenario 1 retry 2 ok")
    e.sync()
    # scenario 2: error three times, then the next scenario is current
    s = e.check(NONE, sa, 0xFFFF, b"D", lambda s: scan_answer(s, 1), "scenario 2 initial")
    e.check(NONE, re, 0xFFFF, b"D", lambda s: scan_answer(s, 1), "scenario 2 retry 1")
    e.check(NONE, re, 0xFFFF, b"D", lambda s: scan_answer(s, 1), "scenario 2 retry 2")
    # scenario 3: error on the raw_data board; a re-send with an empty retry
    # list is answered cleanly and moves on (wrapping to scenario 0)
    e.check(NONE, sa, 0xFFFF, b"D", lambda s: scan_answer(s, 3), "scenario 3 initial")
    e.check(NONE, sa, 0xFFFF, b"D", lambda s: scan_answer(s, 3), "error stays current")
    e.check(NONE, re, 0xFFFF, b"D", lambda s: scan_answer(s), "empty retry list")
    # wrapped around: 0 ok, then 1 again with its retry position restarted
    e.check(NONE, sa, 0xFFFF, b"D", lambda s: scan_answer(s), "scenario 0 again")
    e.check(NONE, sa, 0xFFFF, b"D", lambda s: scan_answer(s, 2), "scenario 1 again")
    e.check(NONE, re, 0xFFFF, b"D", lambda s: scan_answer(s, 2), "retry position restarted")
    e.check(NONE, re, 0xFFFF, b"D", lambda s: scan_answer(s), "scenario 1 retry 2 again")
    # a retry (?) of a scan-all gets no answer
    e.check(NONE, sa, 0xFFFF, b"D", lambda s: scan_answer(s, 1), "scenario 2", sync=False)
    e.check(NONE, sa, 0xFFFF, b"?", None, "? after scan-all")


def test_corrupt_request(e):
    """A corrupt packet is logged and ignored; line noise is skipped."""
    good = frame(9, THERMISTOR, 1, 0x01FF, b"R")
    bad = bytearray(good)
    bad[-2] ^= 0xFF
    e.send(bytes(bad))
    e.send(b"\x55\x66\x77" + good)
    e.expect(value(9, "600"))
    e.sync()
    assert "corrupt packet ignored" in e.stderr()


def test_signal_mid_packet(_):
    """SIGTERM while a packet is half received: exit 0, link removed."""
    e = items_emu()
    e.send(b"\x01\x20\x05")
    e.stop(signal.SIGTERM)


def test_sigint(_):
    e = items_emu()
    e.check(THERMISTOR, 1, 0x01FF, b"R", val("600"))
    e.stop(signal.SIGINT)


def test_debug_dump(_):
    e = Emu(os.path.join(DATA, "items.json"), ["--debug"])
    e.check(THERMISTOR, 1, 0x01FF, b"R", val("600"))
    e.stop()
    err = e.stderr()
    assert "rx 01 0a 01 9c 00 00 00 01 01 ff 52" in err, err
    assert "tx 01 0c 01 ff 00 00 00 00 ff ff 36 30 30" in err, err


def test_replace_symlink(_):
    d = mkdtemp()
    link = os.path.join(d, "bus")
    os.symlink("/nonexistent", link)
    e = Emu(os.path.join(DATA, "items.json"), link=link)
    e.check(THERMISTOR, 1, 0x01FF, b"R", val("600"))
    e.stop()


def run(args, timeout=10):
    p = subprocess.run([EMU] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def test_cli(_):
    d = mkdtemp()
    link = os.path.join(d, "bus")
    items = os.path.join(DATA, "items.json")
    rc, out, _err = run(["--help"])
    assert rc == 0 and "--pty LINK" in out and "--data FILE" in out, (rc, out)
    rc, out, _err = run(["--version"])
    assert rc == 0 and out.startswith("opendcre-emulator "), (rc, out)
    for args in ([], ["--pty", link], ["--data", items], ["--bogus"],
                 ["--pty", link, "--device", "/dev/null", "--data", items],
                 ["--pty", link, "--data", items, "--baud", "12345"],
                 ["--pty", link, "--data", items, "--baud", "x"],
                 ["--pty", link, "--data", items, "--hardware", "vec"],
                 ["--pty", link, "--data", items, "extra"],
                 ["--config", "/nonexistent", "--data", items],
                 ["--pty"]):
        rc, out, err = run(args)
        assert rc == 2, "usage error for %s gave %d: %s" % (args, rc, err)
        assert not os.path.lexists(link)
    # --hardware rpi_hat wakes and configures its own modem; with no GPIO chip
    # (this test's premise) it stops with the chip named
    if not glob.glob("/dev/gpiochip*"):
        rc, out, err = run(["--pty", link, "--data", items, "--hardware", "rpi_hat"])
        assert rc == 1 and "--hardware rpi_hat: plc.gpio.chip" in err and "gpiochip0" in err, (rc, err)
        assert not os.path.lexists(link)
    # a missing data file
    rc, out, err = run(["--pty", link, "--data", os.path.join(d, "missing.json")])
    assert rc == 1 and "missing.json" in err and not os.path.lexists(link), (rc, err)
    # something other than a symlink at LINK is refused and left alone
    with open(link, "w") as f:
        f.write("keep")
    rc, out, err = run(["--pty", link, "--data", items])
    assert rc == 1 and "not a symbolic link" in err, (rc, err)
    assert open(link).read() == "keep"
    os.unlink(link)
    # --device on something that is not a tty
    rc, out, err = run(["--device", items, "--data", items])
    assert rc == 1, (rc, err)
    # --config: unreadable, not JSON, a key missing, a bad data file behind it
    conf = os.path.join(d, "conf.json")
    for text, want in (
            (None, "cannot read the config file"),
            ("{", "invalid JSON"),
            ('{"serial_device": "/dev/null"}', "emulator_data"),
            ('{"serial_device": "/dev/null", "emulator_data": "bad.json"}',
             os.path.join(d, "bad.json"))):
        if text is not None:
            with open(conf, "w") as f:
                f.write(text)
        with open(os.path.join(d, "bad.json"), "w") as f:
            f.write("{}")
        rc, out, err = run(["--config", conf])
        assert rc == 1 and want in err, (text, rc, err)
        os.unlink(os.path.join(d, "bad.json"))


def test_device_and_config(_):
    """--device on one end of a pty pair, and --config with a relative data
    path (taken relative to the config file's directory)."""
    d = mkdtemp()
    master, slave = os.openpty()
    try:
        device_and_config(d, master, slave)
    finally:
        os.close(master)
        os.close(slave)


def device_and_config(d, master, slave):
    tty.setraw(master)
    name = os.ttyname(slave)
    os.mkdir(os.path.join(d, "sub"))
    with open(os.path.join(d, "sub", "data.json"), "w") as f:
        f.write(open(os.path.join(DATA, "items.json")).read())
    conf = os.path.join(d, "emulator.json")
    with open(conf, "w") as f:
        json.dump({"serial_device": name, "emulator_data": "sub/data.json"}, f)
    for args in (["--device", name, "--data", os.path.join(DATA, "items.json"),
                  "--baud", "19200"],
                 ["--config", conf]):
        p = subprocess.Popen([EMU] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = p.stdout.readline().decode()
            assert line == "ready %s %s\n" % (name, name), line
            os.write(master, frame(3, THERMISTOR, 1, 0x01FF, b"R"))
            got = b""
            while len(got) < 15 and select.select([master], [], [], 5)[0]:
                got += os.read(master, 15 - len(got))
            assert got == value(3, "600"), got.hex(" ")
            p.send_signal(signal.SIGTERM)
            assert p.wait(10) == 0
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()


def py2str(v):
    """What the emulator sends for a data file value (emulator.md §3)."""
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        t = "%.12g" % v
        return t if any(c in t for c in ".en") else t + ".0"
    return v


def test_demo(_):
    """demo.json loads, covers every PLC device type on at least two boards,
    and every device answers every action it has, forever (repeatable)."""
    data = json.load(open(DEMO))
    boards = data["boards"]
    assert len(boards) >= 2
    assert {TYPE_CODES[x["device_type"]] for b in boards for x in b["devices"]} >= {
        THERMISTOR, TEMPERATURE, HUMIDITY, PRESSURE, FAN_SPEED, LED, POWER, SYSTEM,
        VAPOR_FAN, VAPOR_LED, VAPOR_RECTIFIER, VAPOR_BATTERY}, "demo covers every type"
    e = Emu(DEMO)
    cursors = {}
    for b in boards:
        bid = int(b["board_id"], 16)
        seq = e.req(NONE, bid, 0xFFFF, b"V")
        e.expect(value(seq, b["firmware_version"]), "demo V")
        seq = e.req(NONE, bid, 0xFFFF, b"D")
        want = b"".join(dump(seq, TYPE_CODES[x["device_type"]], bid,
                             int(x["device_id"], 16)) for x in b["devices"])
        e.expect(want, "demo D board %s" % b["board_id"])
        for x in b["devices"]:
            code = TYPE_CODES[x["device_type"]]
            dev = int(x["device_id"], 16)
            cmds = []
            if "read" in x:
                cmds.append(("read", b"R"))
            if "write" in x:
                if code == VAPOR_LED:
                    cmds.append(("write", b"L-1,rack_1,-1,-1"))
                elif code in (FAN_SPEED, VAPOR_FAN):
                    cmds.append(("write", b"W\xff1500"))
                else:
                    cmds.append(("write", b"W1"))
            if "power" in x:
                cmds += [("power", b"P?"), ("power", b"P1")]
            for key, c in (("asset_info", b"A"), ("host_info", b"H")):
                if key in x:
                    cmds.append((key, c))
            if "boot_target" in x:
                cmds += [("boot_target", b"B?"), ("boot_target", b"B1")]
            assert cmds, "device %s answers nothing" % x["device_id"]
            for key, c in cmds:
                sec = x[key]
                for i in range(5):
                    seq = e.req(code, bid, dev, c)
                    what = "demo %s/%s %r #%d" % (b["board_id"], x["device_id"], c, i)
                    if isinstance(sec, dict):
                        assert sec.get("repeatable") is True, what + ": not repeatable"
                        items = sec["responses"]
                        k = cursors.get((bid, dev, key), 0)
                        cursors[(bid, dev, key)] = k + 1
                        e.expect(value(seq, py2str(items[k % len(items)])), what)
                        continue
                    hdr = e.read(2)
                    assert len(hdr) == 2 and hdr[0] == 1, what + ": no answer"
                    f = parse_frames(hdr + e.read(hdr[1] + 1))[0]
                    assert f[2] == seq and len(f) > 12, what + ": " + f.hex(" ")
    # scan-all with no scanall key: every board answers cleanly
    seq = e.req(NONE, SCAN_ALL | 0x23544B, 0xFFFF, b"D")
    want = b"".join(dump(seq, TYPE_CODES[x["device_type"]], int(b["board_id"], 16),
                         int(x["device_id"], 16)) for b in boards for x in b["devices"])
    e.expect(want, "demo scan-all")
    e.stop()


# ---- invalid data files: exit 1, message names the file and the key path ------

def board(devices, **extra):
    b = {"board_id": "00000001", "firmware_version": "v"}
    b.update(extra)
    b["devices"] = devices
    return b


def doc(*boards, **extra):
    d = {"boards": list(boards)}
    d.update(extra)
    return json.dumps(d)


def dev(**kw):
    d = {"device_id": "0001", "device_type": "thermistor"}
    d.update(kw)
    return d


READ_OK = {"responses": [1]}
INVALID = [
    ("{\"boards\": [", "line 1, column 12: invalid JSON"),
    ("{\"boards\": []} x", "line 1, column 16: invalid JSON: text after the document"),
    ("[]", "(top level): must be a JSON object, got a list"),
    ("{}", "(top level): missing key \"boards\""),
    ("{\"boards\": {}}", "boards: wrong type"),
    (doc({"firmware_version": "v", "devices": []}), "boards[0]: missing key \"board_id\""),
    (doc(board([]), {"board_id": "zz", "firmware_version": "v", "devices": []}),
     "boards[1].board_id: \"zz\" is not a hexadecimal id"),
    (doc({"board_id": 1, "firmware_version": "v", "devices": []}),
     "boards[0].board_id: wrong type"),
    (doc({"board_id": "100000000", "firmware_version": "v", "devices": []}),
     "boards[0].board_id: id \"100000000\" is larger"),
    (doc({"board_id": "1", "devices": []}), "boards[0]: missing key \"firmware_version\""),
    (doc({"board_id": "1", "firmware_version": 3, "devices": []}),
     "boards[0].firmware_version: wrong type"),
    (doc({"board_id": "1", "firmware_version": [1, 300], "devices": []}),
     "boards[0].firmware_version[1]: raw byte 300 out of range"),
    (doc(board([dev(device_type="toaster", read=READ_OK)])),
     "boards[0].devices[0].device_type: unknown device type \"toaster\""),
    (doc(board([{"device_id": "1", "read": READ_OK}])),
     "boards[0].devices[0]: missing key \"device_type\""),
    (doc(board([dev(device_id="10000", read=READ_OK)])),
     "boards[0].devices[0].device_id: id \"10000\" is larger than 0xffff"),
    (doc(board([]), board([dev(read={"responses": [1, 2, [1, 2, 3, 256]]})])),
     "boards[1].devices[0].read.responses[2][3]: raw byte 256 out of range"),
    (doc(board([dev(read={"responses": [[-1]]})])),
     "boards[0].devices[0].read.responses[0][0]: raw byte -1 out of range"),
    (doc(board([dev(read={"responses": [[998]]})])), "responses[0][0]: raw byte 998"),
    (doc(board([dev(read={"responses": [[1256]]})])), "responses[0][0]: raw byte 1256"),
    (doc(board([dev(read={"responses": [[1.5]]})])),
     "responses[0][0]: raw byte must be an integer"),
    (doc(board([dev(read={"responses": [["1"]]})])),
     "responses[0][0]: raw byte must be an integer"),
    (doc(board([dev(read={"responses": ["x" * 247]})])),
     "boards[0].devices[0].read.responses[0]: string gives 247 bytes"),
    (doc(board([dev(read={"responses": ["\u00e9" * 124]})])),
     "read.responses[0]: string gives 248 bytes"),
    (doc(board([dev(read={"responses": [{"a": 1}]})])),
     "read.responses[0]: wrong type"),
    (doc(board([dev(read={"repeatable": True})])),
     "boards[0].devices[0].read: missing key \"responses\""),
    (doc(board([dev(read={"responses": "600"})])),
     "boards[0].devices[0].read.responses: wrong type"),
    (doc(board([dev(read={"responses": [], "repeatable": "yes"})])),
     "boards[0].devices[0].read.repeatable: wrong type"),
    (doc(board([dev(read={"responses": [], "retry_responses": [{}]})])),
     "read.retry_responses[0]: wrong type"),
    (doc(board([dev(read=[600])])), "boards[0].devices[0].read: wrong type"),
    (doc(board([dev(has_state="yes", read=1)])), "devices[0].has_state: wrong type"),
    (doc(board([dev(device_type="power", has_state=True, power="0,0,0,0", on="1")])),
     "boards[0].devices[0]: missing key \"off\""),
    (doc(board([dev(device_type="system", has_state=True, boot_target="B0", hdd="B0",
                    pxe="B1")])),
     "boards[0].devices[0]: missing key \"no_override\""),
    (doc(board([dev(device_type="led", has_state=True, read={"responses": [1]})])),
     "boards[0].devices[0].read: wrong type: expected a plain value"),
    (doc(board([dev(device_type="led", has_state=True, read=[1, 2])])),
     "boards[0].devices[0].read: wrong type"),
    (doc(board([dev(device_type="led", has_state=True, read="y" * 300)])),
     "boards[0].devices[0].read: string gives 300 bytes"),
    (doc(board([dev(device_type="power", has_state=True, power=["a", {}], on="1",
                    off="0")])),
     "boards[0].devices[0].power[1]: wrong type"),
    (doc(board([], raw_data=[[[1, 2]], 5])), "boards[0].raw_data[1]: wrong type"),
    (doc(board([], raw_data=[[[1, 2], 7]])), "boards[0].raw_data[0][1]: wrong type"),
    (doc(board([], retry_raw_data=[[1, 2000]])), "boards[0].retry_raw_data[0][1]: raw byte"),
    (doc(board([], retry_firmware_version=["v2"])),
     "boards[0].retry_firmware_version[0]: wrong type"),
    (doc(board([]), scanall=[{"initial": {"result": "maybe"}}]),
     "scanall[0].initial.result: unknown result \"maybe\""),
    (doc(board([]), scanall=[{"initial": {"result": "ok"},
                              "retry": [{"result": "error"}]}]),
     "scanall[0].retry[0]: missing key \"failed_board\""),
    (doc(board([]), scanall=[{"retry": []}]), "scanall[0]: missing key \"initial\""),
    (doc(board([]), scanall={}), "scanall: wrong type"),
    ('{"boards": [{"board_id": "1", "board_id": "2", "firmware_version": "v", '
     '"devices": []}]}', "boards[0]: key \"board_id\" appears twice"),
    ('{"boards": [{"board_id": "1", "firmware_version": "v", "devices": '
     '[{"device_id": "1", "device_type": "led", "read": {"responses": [1], '
     '"responses": [2]}}]}]}',
     "boards[0].devices[0].read: key \"responses\" appears twice"),
    ('{"boards": [{"board_id": "1", "firmware_version": "v", "devices": '
     '[{"device_id": "1", "device_type": "led", "read": {"responses": [007]}}]}]}',
     "boards[0].devices[0].read.responses[0]: invalid number literal '007'"),
]


def test_invalid_files(_):
    d = mkdtemp()
    link = os.path.join(d, "bus")
    for i, (text, want) in enumerate(INVALID):
        path = os.path.join(d, "bad%02d.json" % i)
        with open(path, "w") as f:
            f.write(text)
        rc, out, err = run(["--pty", link, "--data", path])
        assert rc == 1, "case %d (%s): exit %d, want 1; stderr: %s" % (i, want, rc, err)
        assert path in err and want in err, \
            "case %d: stderr lacks %r and the file name:\n%s" % (i, want, err)
        assert out == "" and not os.path.lexists(link), "case %d: started anyway" % i


def test_boundaries(_):
    """246 bytes of data is accepted (string and UTF-8) and sent whole."""
    d = mkdtemp()
    path = os.path.join(d, "ok.json")
    with open(path, "w") as f:
        f.write(doc(board([dev(read={"responses": ["x" * 246, "\u00e9" * 123]})]),
                    {"board_id": "99", "firmware_version": "SYNC", "devices": []}))
    e = Emu(path)
    e.check(THERMISTOR, 1, 1, b"R", val("x" * 246))
    e.check(THERMISTOR, 1, 1, b"R", val("\u00e9" * 123))
    e.stop()


def test_unknown_keys_warn(_):
    """Unknown keys are warnings naming their path, not errors."""
    d = mkdtemp()
    path = os.path.join(d, "extra.json")
    with open(path, "w") as f:
        f.write(doc(board([dev(read={"responses": [7], "comment": "x"}, on="1")],
                          location="lab"),
                    {"board_id": "99", "firmware_version": "SYNC", "devices": []},
                    version=2))
    e = Emu(path)
    e.check(THERMISTOR, 1, 1, b"R", val("7"))
    e.stop()
    err = e.stderr()
    for want in (": (top level): unknown key \"version\" ignored",
                 ": boards[0]: unknown key \"location\" ignored",
                 ": boards[0].devices[0].read: unknown key \"comment\" ignored",
                 ": boards[0].devices[0].on: ignored"):
        assert path + want in err, "%r not in %s" % (want, err)


def test_board_without_devices(_):
    """OpenDCRE's own data files have boards with raw_data and no "devices"
    key: they load, answer scans and version, and are silent for device
    commands, as with the original emulator."""
    d = mkdtemp()
    path = os.path.join(d, "scan-only.json")
    dumps = [[1, 10, 1, 0x9C, 0, 0, 0, 3, 0, 1, 0x9C, 0xC3, 4]]
    with open(path, "w") as f:
        f.write(json.dumps({"boards": [
            {"board_id": "00000003", "firmware_version": "scan only", "raw_data": [dumps]},
            {"board_id": "99", "firmware_version": "SYNC", "devices": []}]}))
    e = Emu(path)
    e.check(NONE, 3, 0xFFFF, b"V", val("scan only"))
    e.send(frame(5, 0xFF, 3, 0xFFFF, b"D"))
    e.expect(bytes(dumps[0]), "raw_data dump of the scan-only board")
    e.sync("raw dump")
    for typ, data in ((THERMISTOR, b"R"), (POWER, b"P?"), (LED, b"W1"), (SYSTEM, b"A")):
        e.check(typ, 3, 1, data, None, "device command to a board without devices")
    e.stop()


TESTS = [
    (test_item_kinds, items_emu),
    (test_numbers, items_emu),
    (test_repeatable, items_emu),
    (test_golden_read, items_emu),
    (test_raw_sentinels, items_emu),
    (test_retry_lists, items_emu),
    (test_retry_normal_list, items_emu),
    (test_retry_board_level, items_emu),
    (test_matching, items_emu),
    (test_scan_single, items_emu),
    (test_version, items_emu),
    (test_stateful_led_fan, items_emu),
    (test_stateful_power, items_emu),
    (test_stateful_boot, items_emu),
    (test_chamber_led, items_emu),
    (test_scanall, scanall_emu),
    (test_corrupt_request, items_emu),
    (test_signal_mid_packet, None),
    (test_sigint, None),
    (test_debug_dump, None),
    (test_replace_symlink, None),
    (test_cli, None),
    (test_device_and_config, None),
    (test_demo, None),
    (test_invalid_files, None),
    (test_boundaries, None),
    (test_unknown_keys_warn, None),
    (test_board_without_devices, None),
]


def main():
    if not EMU or not os.access(EMU, os.X_OK):
        print("EMULATOR not set or not executable: %r" % EMU)
        return 1
    only = sys.argv[1:]
    failed = 0
    todo = [t for t in TESTS if not only or t[0].__name__ in only]
    print("1..%d" % len(todo))
    for n, (fn, factory) in enumerate(todo, 1):
        e = None
        try:
            e = factory() if factory else None
            fn(e)
            if e:
                e.stop()
            print("ok %d - %s" % (n, fn.__name__))
        except Exception:
            failed += 1
            print("not ok %d - %s" % (n, fn.__name__))
            for line in traceback.format_exc().splitlines():
                print("# " + line)
            if e:
                print("# emulator stderr:")
                for line in e.stderr().splitlines():
                    print("#   " + line)
        finally:
            cleanup()
    print("# %d of %d failed" % (failed, len(todo)) if failed else "# all passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
