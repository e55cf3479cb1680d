#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""opendcre-fcgi with plc.hardware_type "rpi_hat" (plc-protocol.md §11, config.md §9) on a
machine without a GPIO chip: start-up stops with exit status 1 and a message that names
plc.gpio, the chip and the cause, before any socket is created; nothing hangs.
Skipped (77) where a GPIO chip exists, since the premise is then false."""

import glob
import json
import os
import shutil
import subprocess
import tempfile

import harness as H

R = H.Runner('hat')


def write_config(d, gpio=None):
    plc = {'hardware_type': 'rpi_hat', 'device': os.path.join(d, 'no-tty'),
           'lockfile': os.path.join(d, 'plc.lock')}
    if gpio is not None:
        plc['gpio'] = gpio
    cfg = os.path.join(d, 'opendcre.json')
    with open(cfg, 'w') as f:
        json.dump({'plc': plc, 'scan_cache': {'file': os.path.join(d, 'cache.json')}}, f)
    return cfg


def start(d, cfg):
    sock = os.path.join(d, 'opendcre.sock')
    p = subprocess.run([H.FCGI_EXE, '--config', cfg, '--socket', sock, '--workers', '2'],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=20)
    return p, sock


def test_default_chip():
    d = tempfile.mkdtemp(prefix='opendcre-hat-')
    cfg = write_config(d)
    p, sock = start(d, cfg)
    err = p.stderr.decode(errors='replace')
    H.log('stderr: ' + err.strip())
    assert p.returncode == 1, 'exit status %s: %s' % (p.returncode, err)
    assert cfg in err, err
    assert 'plc.gpio' in err and 'gpiochip0' in err, err
    assert os.strerror(2) in err, err           # ENOENT: No such file or directory
    assert not os.path.exists(sock), 'socket created before the start-up error'
    assert os.path.exists(os.path.join(d, 'plc.lock')), 'lock file not prepared first'


def test_chip_path():
    d = tempfile.mkdtemp(prefix='opendcre-hat-')
    cfg = write_config(d, {'chip': '/dev/gpiochip5', 'inh': 4})
    p, _ = start(d, cfg)
    err = p.stderr.decode(errors='replace')
    H.log('stderr: ' + err.strip())
    assert p.returncode == 1, 'exit status %s: %s' % (p.returncode, err)
    assert 'plc.gpio' in err and '/dev/gpiochip5' in err, err


def test_check_config():
    d = tempfile.mkdtemp(prefix='opendcre-hat-')
    cfg = write_config(d, {'chip': 'gpiochip0', 'cmd': 27, 'freq': 10, 'inh': 22,
                           'nsleep': 17, 'select': 9})
    p = subprocess.run([H.FCGI_EXE, '--config', cfg, '--check-config'], timeout=20,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 0, p.stderr.decode(errors='replace')


def main():
    if not os.access(H.FCGI_EXE, os.X_OK):
        print('FAIL: %s not built' % H.FCGI_EXE)
        raise SystemExit(1)
    chips = glob.glob('/dev/gpiochip*')
    if chips:
        H.skip('%s exists: this test expects a machine without GPIO chips' % chips[0])
    R.check('rpi_hat without a GPIO chip: exit 1 naming plc.gpio, gpiochip0 and the cause',
            test_default_chip)
    R.check('a chip given as a path is named in the start-up error', test_chip_path)
    R.check('--check-config accepts an rpi_hat configuration', test_check_config)
    for d in glob.glob(os.path.join(tempfile.gettempdir(), 'opendcre-hat-*')):
        if not H.KEEP:
            shutil.rmtree(d, ignore_errors=True)
    R.finish()


if __name__ == '__main__':
    main()
