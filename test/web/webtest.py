#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Shared pieces of the `web` suite: real web servers from Debian in front of the real
service and the emulator, configured from the shipped files in etc/ (their @NAME@
placeholders substituted with paths in the test's run directory).

The service and the emulator come from test/integration/harness.py (Harness with
start_nginx=False); this module adds: placeholder substitution, a process wrapper that
waits for TCP ports with a deadline, a CA and a server certificate made with openssl,
curl (for TLS with --cacert, Basic credentials), and the audit-line reader.
Exit codes as everywhere: 0 pass, 1 fail, 77 skip (a server package is missing).
"""

import grp
import json
import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))

import harness as H  # noqa: E402

SOURCE = H.SOURCE
BUILD = H.BUILD
ETC = os.path.join(SOURCE, 'etc')
DEMO = os.path.join(SOURCE, 'emulator', 'data', 'demo.json')
P13 = '/opendcre/1.3'
P12 = '/opendcre/1.2'

# Packages of the web suite (test/run-tests.sh installs them).
PACKAGES = {
    'nginx': 'nginx-light', 'apache2': 'apache2', 'lighttpd': 'lighttpd', 'slapd': 'slapd',
    'slapadd': 'slapd', 'openssl': 'openssl', 'curl': 'curl', 'spawn-fcgi': 'spawn-fcgi',
    'systemd-analyze': 'systemd', 'systemd-socket-activate': 'systemd',
    'systemd-sysusers': 'systemd', 'systemd-tmpfiles': 'systemd',
}


def which(prog):
    for p in (shutil.which(prog), '/usr/sbin/' + prog, '/usr/bin/' + prog, '/sbin/' + prog):
        if p and os.access(p, os.X_OK):
            return p
    return None


def need(*progs):
    """Paths of the programs; skip (77) naming the Debian packages when one is missing."""
    found, missing = {}, []
    for p in progs:
        path = H.find_nginx() if p == 'nginx' else which(p)
        if path:
            found[p] = path
        else:
            missing.append(p)
    if missing:
        pkgs = sorted({PACKAGES.get(p, p) for p in missing})
        H.skip('%s not installed (apt-get install %s)' % (', '.join(missing), ' '.join(pkgs)))
    for exe in (H.FCGI_EXE, H.EMU_EXE):
        if not os.access(exe, os.X_OK):
            print('FAIL: executable %s not found (DCRE_BUILD=%s)' % (exe, BUILD), flush=True)
            sys.exit(1)
    return found


def is_root():
    return os.geteuid() == 0


def user_group():
    return pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name


# --------------------------------------------------------------------------------------------
# shipped files with their placeholders substituted

PLACEHOLDER = re.compile(r'@[A-Z_]+@')


def base_values(h):
    """Placeholder values for a Harness run directory: the snippets are "installed" in it."""
    return {
        'BINDIR': os.path.dirname(H.FCGI_EXE),
        'DOCDIR': os.path.join(SOURCE),
        'OPENDCRE_CONFDIR': h.run,
        'OPENDCRE_CONFIG': os.path.join(h.run, 'opendcre.json'),
        'OPENDCRE_SOCKET': h.sock,
        'SPAWN_SOCKET': os.path.join(h.run, 'spawn.sock'),
    }


def configure(src, dst, values):
    """Copy etc/<src> to dst with @NAME@ replaced; every placeholder must have a value."""
    with open(os.path.join(ETC, src)) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace('@%s@' % k, str(v))
    left = sorted(set(PLACEHOLDER.findall(text)))
    assert not left, 'etc/%s: no value for %s' % (src, ', '.join(left))
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst, 'w') as f:
        f.write(text)
    return dst


# --------------------------------------------------------------------------------------------
# processes

def free_port():
    return H._free_port()


def port_open(port, host='127.0.0.1'):
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def tcp_inodes(port, states):
    """Inodes of the sockets on local TCP `port` (any address) in one of `states`, the hex
    codes of /proc/net/tcp ('0A' LISTEN, '01' ESTABLISHED, '08' CLOSE_WAIT)."""
    out = set()
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            col = row.split()
            if len(col) > 9 and col[3] in states and int(col[1].rsplit(':', 1)[1], 16) == port:
                out.add(col[9])
    return out


def listen_inodes(port):
    """Socket inodes listening on TCP `port` (any local address)."""
    return tcp_inodes(port, ('0A',))


def process_tree(pid):
    out = [pid]
    for c in H._children(pid):
        out += process_tree(c)
    return out


def listens(pid, port):
    """Whether process `pid` (or one of its children) listens on TCP `port`: another
    program that took the port meanwhile does not count."""
    inodes = {'socket:[%s]' % i for i in listen_inodes(port)}
    if not inodes:
        return False
    for p in process_tree(pid):
        try:
            fds = os.listdir('/proc/%d/fd' % p)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink('/proc/%d/fd/%s' % (p, fd)) in inodes:
                    return True
            except OSError:
                pass
    return False


def wait_for(pred, timeout, what, proc=None, log=None):
    deadline = time.monotonic() + timeout
    while True:
        if pred():
            return
        if proc is not None and proc.poll() is not None:
            raise H.HarnessError('%s: the process exited with %s; log:\n%s'
                                 % (what, proc.returncode, H._tail(log) if log else ''))
        if time.monotonic() > deadline:
            raise H.HarnessError('%s: not ready within %.0f s; log:\n%s'
                                 % (what, timeout, H._tail(log) if log else ''))
        time.sleep(0.02)


def fcgi_answers(sock_path):
    """The service answers /test on its FastCGI socket."""
    if not os.path.exists(sock_path):
        return False
    try:
        return H.fcgi_request(sock_path, P13 + '/test', timeout=10).status == 200
    except (OSError, H.HTTPError):
        return False


class Server:
    """A foreground server process we started (own session), ready when its TCP ports accept."""

    def __init__(self, name, cmd, log, ports=(), env=None, timeout=20.0, ready=None):
        self.name = name
        self.log = log
        with open(log + '.stderr', 'ab') as errf:
            self.proc = subprocess.Popen(cmd, stdout=errf, stderr=errf, stdin=subprocess.DEVNULL,
                                         start_new_session=True, env=env)
        self.pid = self.proc.pid
        try:
            for p in ports:
                wait_for(lambda: listens(self.pid, p) and port_open(p), timeout,
                         '%s on 127.0.0.1:%d' % (name, p), self.proc)
            if ready:
                wait_for(ready, timeout, name, self.proc)
        except H.HarnessError as e:
            self.stop(signal.SIGKILL)
            # a server that says nothing about a failed bind (slapd -d 0): another process
            # listening on one of the ports tells
            taken = [p for p in ports if listen_inodes(p)]
            raise H.HarnessError('%s%s\n%s log:\n%s\n%s stderr:\n%s' % (
                e, ' (port %s already in use by another process)' % taken if taken else '',
                name, H._tail(log, 15), name, H._tail(log + '.stderr', 15)))
        except Exception:
            self.stop(signal.SIGKILL)
            raise

    def alive(self):
        return self.proc.poll() is None

    def crashes(self):
        """Crash or sanitizer lines in the server's log and in its stderr (where the processes
        it starts itself write too)."""
        return ['%s: %s' % (self.name, ln) for path in (self.log, self.log + '.stderr')
                for ln in crash_lines(path)]

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Signal the process and wait; returns its exit code (None if it had to be killed)."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()
            return None


def retry_bind(start, attempts=4):
    """start() with fresh free ports until no other process took one in the meantime."""
    for i in range(attempts):
        try:
            return start()
        except H.HarnessError as e:
            if 'already in use' not in str(e) or i == attempts - 1:
                raise
            H.log('a port was taken meanwhile, retrying with new ones')


def start_harness(name, workers=2, **kw):
    """Emulator (demo data) + opendcre-fcgi on a Unix socket, no nginx."""
    h = H.Harness(DEMO, workers=workers, start_nginx=False, name='web-' + name, **kw)
    h.start()
    return h


def open_socket_to(h, group_name):
    """What opendcre.socket does with SocketGroup=www-data: let that group reach the
    socket (mode 0660) through the run directory."""
    gid = grp.getgrnam(group_name).gr_gid
    os.chmod(h.run, 0o711)
    os.chown(h.sock, -1, gid)


# --------------------------------------------------------------------------------------------
# a FastCGI peer that records what the web server sends (in place of the service)

def _fcgi_decode_params(data):
    out, pos = {}, 0

    def length():
        nonlocal pos
        n = data[pos]
        if n < 128:
            pos += 1
            return n
        n = int.from_bytes(data[pos:pos + 4], 'big') & 0x7FFFFFFF
        pos += 4
        return n
    while pos < len(data):
        kl = length()
        vl = length()
        k = data[pos:pos + kl].decode('latin-1')
        out[k] = data[pos + kl:pos + kl + vl].decode('latin-1')
        pos += kl + vl
    return out


class FcgiCapture:
    """Listens on a Unix socket, answers every FastCGI request with a JSON 200 and keeps the
    parameters it received, so a test can see exactly what the web server passes on."""

    def __init__(self, path, mode=0o666):
        self.path = path
        self.requests = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, mode)
        self.sock.listen(16)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    self._one(conn)
                except (OSError, ValueError):
                    pass

    def _one(self, conn):
        conn.settimeout(10)
        buf, params, req_id, done = b'', b'', 1, False
        while not done:
            d = conn.recv(65536)
            if not d:
                return
            buf += d
            while len(buf) >= 8:
                _, rtype, rid, clen, plen = struct.unpack('>BBHHBx', buf[:8])
                if len(buf) < 8 + clen + plen:
                    break
                content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
                req_id = rid
                if rtype == H.FCGI_PARAMS:
                    params += content
                elif rtype == H.FCGI_STDIN and not content:
                    done = True
        self.requests.append(_fcgi_decode_params(params))
        body = b'{"captured": true}'
        out = (b'Status: 200 OK\r\nContent-Type: application/json\r\n'
               b'Access-Control-Allow-Origin: *\r\nContent-Length: %d\r\n\r\n' % len(body)) + body
        conn.sendall(H._fcgi_record(H.FCGI_STDOUT, out, req_id) + H._fcgi_record(H.FCGI_STDOUT, b'', req_id)
                     + H._fcgi_record(H.FCGI_END_REQUEST, b'\0' * 8, req_id))

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


# --------------------------------------------------------------------------------------------
# TLS and passwords

def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)
    if p.returncode != 0:
        raise H.HarnessError('%s failed (%d): %s' % (' '.join(cmd), p.returncode, p.stderr.strip()))
    return p.stdout


def make_certs(d, openssl='openssl'):
    """A test CA and a server certificate for localhost and 127.0.0.1 signed by it."""
    os.makedirs(d, exist_ok=True)
    ca_key, ca, key, csr, cert = (os.path.join(d, n) for n in
                                  ('ca.key', 'ca.pem', 'server.key', 'server.csr', 'server.pem'))
    ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    run([openssl, 'req', '-x509'] + ec + ['-keyout', ca_key, '-out', ca, '-days', '2',
        '-subj', '/CN=opendcre test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
        '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
    run([openssl, 'req', '-new'] + ec + ['-keyout', key, '-out', csr, '-subj', '/CN=localhost'])
    ext = os.path.join(d, 'server.ext')
    with open(ext, 'w') as f:
        f.write('subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n'
                'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n')
    run([openssl, 'x509', '-req', '-in', csr, '-CA', ca, '-CAkey', ca_key, '-CAcreateserial',
         '-days', '2', '-out', cert, '-extfile', ext])
    os.chmod(key, 0o600)
    return {'ca': ca, 'cert': cert, 'key': key}


def htpasswd_line(user, password, openssl='openssl'):
    return '%s:%s\n' % (user, run([openssl, 'passwd', '-apr1', password]).strip())


# --------------------------------------------------------------------------------------------
# HTTP through curl (TLS with --cacert, Basic credentials)

class CurlResult:
    def __init__(self, rc, status, headers, body, err):
        self.rc = rc
        self.status = status
        self.headers = headers
        self.body = body
        self.err = err

    def header(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body.decode('utf-8'))

    def __repr__(self):
        return '<curl rc=%d status=%s body=%r err=%r>' % (self.rc, self.status, self.body[:200],
                                                          self.err[:200])


def curl(url, cacert=None, user=None, timeout=30, extra=()):
    fd, body_path = tempfile.mkstemp(prefix='opendcre-curl-')
    os.close(fd)
    head_path = body_path + '.head'
    cmd = ['curl', '-sS', '--noproxy', '*', '--max-time', str(timeout), '-o', body_path,
           '-D', head_path, '-w', '%{http_code}']
    if cacert:
        cmd += ['--cacert', cacert]
    if user:
        cmd += ['-u', user]
    cmd += list(extra) + [url]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout + 10)
        with open(body_path, 'rb') as f:
            body = f.read()
        headers = []
        try:
            with open(head_path, 'rb') as f:
                for ln in f.read().decode('latin-1').splitlines()[1:]:
                    k, sep, v = ln.partition(':')
                    if sep:
                        headers.append((k.strip(), v.strip()))
        except OSError:
            pass
    finally:
        for path in (body_path, head_path):
            try:
                os.unlink(path)
            except OSError:
                pass
    status = p.stdout.decode().strip()
    return CurlResult(p.returncode, int(status) if status.isdigit() else 0, headers, body,
                      p.stderr.decode('utf-8', 'replace'))


def expect_curl_ok(r, expected=None, what=''):
    """A 200 JSON answer from the service through the web server (curl result)."""
    assert r.rc == 0 and r.status == 200, '%s: %r' % (what, r)
    ct = r.header('Content-Type')
    assert ct and ct[0].split(';')[0].strip() == 'application/json', '%s: Content-Type %r' % (what, ct)
    acao = r.header('Access-Control-Allow-Origin')
    assert acao == ['*'], '%s: Access-Control-Allow-Origin %r, expected exactly one "*"' % (what, acao)
    body = r.json()
    if expected is not None:
        assert body == expected, '%s: body %r, expected %r' % (what, body, expected)
    return body


THERMISTOR_VALUES = {H.thermistor(a) for a in (656, 650, 662, 653)}


def check_tls_refusals(R, tls_url, https_port, user):
    """The two TLS checks every web server passes: its certificate is refused without the
    test CA, and plain HTTP to the TLS port gets no service answer."""
    def untrusted():
        r = curl(tls_url + P13 + '/test', user=user)
        assert r.rc == 60 and r.status == 0, 'certificate of the test CA accepted without it: %r' % r

    def plain_to_tls_port():
        r = curl('http://127.0.0.1:%d%s/test' % (https_port, P13), user=user)
        assert r.status != 200 and b'"status"' not in r.body, 'plain HTTP on the TLS port: %r' % r

    R.check('HTTPS: the certificate is not trusted without the test CA', untrusted)
    R.check('plain HTTP to the TLS port fails', plain_to_tls_port)


def check_thermistor(body, what=''):
    assert set(body) == {'temperature_c'} and float(body['temperature_c']) in THERMISTOR_VALUES, \
        '%s: %r' % (what, body)


# --------------------------------------------------------------------------------------------
# logs

def audit_lines(path):
    try:
        with open(path, 'rb') as f:
            text = f.read().decode('utf-8', 'replace')
    except OSError:
        return []
    return [ln for ln in text.splitlines() if 'audit: ' in ln]


def wait_audit(path, pattern, timeout=5.0):
    """The audit line matching the regex (the worker logs right after answering)."""
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while True:
        lines = [ln for ln in audit_lines(path) if rx.search(ln)]
        if lines:
            return lines[-1]
        if time.monotonic() > deadline:
            raise AssertionError('no audit line matching %r in %s; audit lines: %r'
                                 % (pattern, os.path.basename(path), audit_lines(path)[-5:]))
        time.sleep(0.02)


def crash_lines(path):
    try:
        with open(path, 'rb') as f:
            text = f.read().decode('utf-8', 'replace')
    except OSError:
        return []
    return [ln.strip()[:300] for ln in text.splitlines() if H.CRASH_PATTERNS.search(ln)]
