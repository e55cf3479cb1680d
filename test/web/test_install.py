#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`meson install` of this build into a scratch DESTDIR: binaries, the configuration, the web
server snippets, the systemd units, sysusers.d/tmpfiles.d/udev files, the demo data and the
README land where etc/meson.build says (with --prefix=/usr: /usr/bin, /etc/opendcre,
/lib/systemd/system, /usr/lib/sysusers.d, /usr/lib/tmpfiles.d, /usr/share/opendcre, ...);
no @NAME@ placeholder is left in an installed file, the installed files point at the
installed paths, and the installed configuration passes --check-config."""

import json
import os
import re
import shutil
import subprocess
import tempfile

import webtest as W
from webtest import H

R = H.Runner('web-install')
MESON = W.which('meson')
if not MESON:
    H.skip('meson not found on PATH')


def installed_map():
    p = subprocess.run([MESON, 'introspect', '--installed', W.BUILD], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)  # built or source path -> installed absolute path


def build_option(name):
    p = subprocess.run([MESON, 'introspect', '--buildoptions', W.BUILD], capture_output=True,
                       text=True, timeout=60)
    for o in json.loads(p.stdout):
        if o['name'] == name:
            return o['value']
    raise KeyError(name)


def main():
    dest = tempfile.mkdtemp(prefix='opendcre-web-install-')
    state = {}

    def install():
        p = subprocess.run([MESON, 'install', '-C', W.BUILD, '--no-rebuild', '--quiet',
                            '--destdir', dest], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, 'meson install: %s%s' % (p.stdout[-2000:], p.stderr[-2000:])
        state['map'] = installed_map()
        missing = [t for t in state['map'].values() if not os.path.exists(dest + t)]
        assert not missing, 'listed but not installed: %r' % missing

    def layout():
        prefix = build_option('prefix')
        sysconf = os.path.join(prefix, build_option('sysconfdir'))
        bindir = os.path.join(prefix, build_option('bindir'))
        datadir = os.path.join(prefix, build_option('datadir'))
        conf = os.path.join(sysconf, 'opendcre')
        want = [os.path.join(bindir, 'opendcre-fcgi'), os.path.join(bindir, 'opendcre-emulator'),
                os.path.join(conf, 'opendcre.json'),
                os.path.join(conf, 'nginx', 'opendcre.conf'), os.path.join(conf, 'nginx', 'opendcre-site.conf'),
                os.path.join(conf, 'apache2', 'opendcre.conf'),
                os.path.join(conf, 'apache2', 'opendcre-ldap.conf'),
                os.path.join(conf, 'apache2', 'opendcre-site.conf'),
                os.path.join(conf, 'lighttpd', '15-opendcre.conf'),
                os.path.join(conf, 'lighttpd', '15-opendcre-spawn.conf'),
                os.path.join(conf, 'lighttpd', 'errors', '1.2', '503.html'),
                os.path.join(conf, 'lighttpd', 'errors', '1.3', '503.html'),
                os.path.join(datadir, 'opendcre', 'demo.json'),
                os.path.join(datadir, 'doc', 'opendcre', 'README.md')]
        installed = set(state['map'].values())
        missing = [w for w in want if w not in installed]
        assert not missing, 'not installed: %r' % missing
        names = {os.path.basename(t): t for t in installed}
        for n, where in (('opendcre.socket', '/systemd/system/'), ('opendcre.service', '/systemd/system/'),
                         ('60-opendcre-gpio.rules', '/udev/rules.d/')):
            assert n in names and where in names[n], '%s: %r' % (n, names.get(n))
        assert [t for t in installed if t.endswith('/sysusers.d/opendcre.conf')], installed
        assert [t for t in installed if t.endswith('/tmpfiles.d/opendcre.conf')], installed
        state['conf'], state['bindir'] = conf, bindir
        H.log('installed: ' + ' '.join(sorted(installed)))

    def substituted():
        bad = []
        for t in state['map'].values():
            if '/bin/' in t or '/doc/' in t:   # binaries; the README names the placeholders
                continue
            with open(dest + t, 'rb') as f:
                text = f.read().decode('utf-8', 'replace')
            if re.search(r'@[A-Z_]+@', text):
                bad.append(t)
        assert not bad, 'placeholders left in %r' % bad
        conf, bindir = state['conf'], state['bindir']
        svc = [t for t in state['map'].values() if t.endswith('/opendcre.service')][0]
        with open(dest + svc) as f:
            text = f.read()
        want = 'ExecStart=%s/opendcre-fcgi --config %s/opendcre.json --workers 4' % (bindir, conf)
        assert want in text, want
        for rel, needle in (('nginx/opendcre.conf', 'fastcgi_pass unix:/run/opendcre/opendcre.sock;'),
                            ('nginx/opendcre-site.conf', 'include %s/nginx/opendcre.conf;' % conf),
                            ('apache2/opendcre.conf', '"unix:/run/opendcre/opendcre.sock|fcgi://'),
                            ('apache2/opendcre-site.conf', 'Include %s/apache2/opendcre-ldap.conf' % conf),
                            ('lighttpd/15-opendcre.conf', '"socket" => "/run/opendcre/opendcre.sock"'),
                            ('lighttpd/15-opendcre.conf',
                             'server.errorfile-prefix = "%s/lighttpd/errors/1.3/"' % conf),
                            ('lighttpd/15-opendcre-spawn.conf', '"bin-path" => "%s/opendcre-fcgi --config '
                             '%s/opendcre.json --workers 4"' % (bindir, conf))):
            with open(dest + os.path.join(conf, rel)) as f:
                assert needle in f.read(), '%s: no %r' % (rel, needle)

    def config_valid():
        cfg = dest + os.path.join(state['conf'], 'opendcre.json')
        with open(cfg) as f:
            text = f.read()
        for p in ('"/run/opendcre/plc.lock"', '"/var/lib/opendcre/scan-cache.json"', '"/dev/ttyAMA0"'):
            assert p in text, p
        assert '/tmp' not in text
        p = subprocess.run([H.FCGI_EXE, '--check-config', '--config', cfg], capture_output=True,
                           text=True, timeout=30)
        assert p.returncode == 0, p.stderr

    if R.check('meson install into a scratch DESTDIR', install):
        R.check('installed layout (binaries, /etc/opendcre, units, sysusers/tmpfiles/udev, data, doc)',
                layout)
        R.check('installed files carry the installed paths, no placeholders', substituted)
        R.check('installed opendcre.json: Debian paths, passes --check-config', config_valid)
    if not R.failed:
        shutil.rmtree(dest, ignore_errors=True)
    else:
        H.log('install tree kept: ' + dest)
    R.finish()


if __name__ == '__main__':
    main()
