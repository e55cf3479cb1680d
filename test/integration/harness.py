#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Integration test harness for opendcre (stdlib only; run with /usr/bin/python3).

A Harness, in a fresh temporary directory:
  * starts `opendcre-emulator --pty <run>/bus --data FILE` and waits for its
    `ready <LINK> <slave>` line;
  * writes a main JSON configuration and starts
    `opendcre-fcgi --config <run>/opendcre.json --socket <run>/opendcre.sock --workers N`,
    waiting until the socket accepts connections and N workers run;
  * starts a real nginx on a free loopback port, built from etc/nginx/demo.conf.in
    and the shipped snippet etc/nginx/opendcre.conf (placeholders substituted);
  * offers HTTP helpers (raw sockets: the request target is sent byte for byte)
    and a direct FastCGI client (for targets nginx would reject itself);
  * on stop() kills everything and reports crashes (a service or emulator
    that died, replaced workers, bad exit codes, sanitizer/crash lines in logs).

Environment: DCRE_BUILD (build dir), DCRE_SOURCE (source dir), DCRE_KEEP=1 keeps
the run dirs, DCRE_DEBUG=1 runs the service and the emulator with --debug, DCRE_NGINX
overrides the nginx binary (empty: behave as if nginx were not installed).
Exit codes of the test scripts: 0 pass, 1 fail, 77 skip.
"""

import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

SKIP = 77

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get('DCRE_SOURCE') or os.path.normpath(os.path.join(HERE, '..', '..'))
DATA_DIR = os.path.join(HERE, 'data')


def _default_build():
    for cand in ('build-it', 'build'):
        d = os.path.join(SOURCE, cand)
        if os.path.exists(os.path.join(d, 'fcgi-app', 'opendcre-fcgi')):
            return d
    return os.path.join(SOURCE, 'build')


BUILD = os.environ.get('DCRE_BUILD') or _default_build()
FCGI_EXE = os.path.join(BUILD, 'fcgi-app', 'opendcre-fcgi')
EMU_EXE = os.path.join(BUILD, 'emulator', 'opendcre-emulator')
DEBUG = os.environ.get('DCRE_DEBUG') == '1'
KEEP = os.environ.get('DCRE_KEEP') == '1'


def log(*a):
    print('#', *a, flush=True)


def skip(reason):
    print('SKIP: ' + reason, flush=True)
    sys.exit(SKIP)


def find_nginx():
    if 'DCRE_NGINX' in os.environ:     # explicit choice (an empty or missing path means "no nginx")
        p = os.environ['DCRE_NGINX']
        return p if p and os.access(p, os.X_OK) else None
    for p in (shutil.which('nginx'), '/usr/sbin/nginx', '/usr/local/sbin/nginx'):
        if p and os.access(p, os.X_OK):
            return p
    return None


def require_tools():
    """Exit 77 (meson SKIP) when nginx is missing; fail when executables are missing."""
    if find_nginx() is None:
        skip('nginx is not installed (apt-get install nginx-light); the integration tests need a real nginx')
    for exe in (FCGI_EXE, EMU_EXE):
        if not os.access(exe, os.X_OK):
            print('FAIL: executable %s not found (DCRE_BUILD=%s)' % (exe, BUILD), flush=True)
            sys.exit(1)


def data_file(name):
    return os.path.join(DATA_DIR, name)


def load_data(name):
    with open(data_file(name)) as f:
        return json.load(f)


# --------------------------------------------------------------------------------------------
# JSON with literal numbers: lets tests check number texts (30.0 vs 30, exact big integers)

class IntLit(str):
    """An integer literal of a JSON document, kept as text."""
    kind = 'int'


class FloatLit(str):
    """A non-integer number literal of a JSON document, kept as text."""
    kind = 'float'


def json_literal(text):
    return json.loads(text, parse_int=IntLit, parse_float=FloatLit,
                      parse_constant=lambda c: (_ for _ in ()).throw(ValueError('constant ' + c)))


def unsorted_objects(text):
    """Objects of a JSON document whose keys are not in alphabetical order (api.md §1)."""
    bad = []

    def hook(pairs):
        keys = [k for k, _ in pairs]
        if keys != sorted(keys):
            bad.append(keys)
        return dict(pairs)
    json.loads(text, object_pairs_hook=hook)
    return bad


def py_float_text(x):
    """The number text the spec requires for a float (Python repr, conversions.md §3)."""
    return repr(float(x))


def same_literal(actual, expected):
    """Compare a json_literal() value with an expected Python value.

    Expected float → the literal must be a float literal with repr(expected) text.
    Expected int → an integer literal with exactly these digits. bool/None/str/list/dict
    compare structurally."""
    if isinstance(expected, bool) or expected is None:
        return actual is expected or actual == expected and type(actual) is type(expected)
    if isinstance(expected, float):
        return isinstance(actual, FloatLit) and str(actual) == py_float_text(expected)
    if isinstance(expected, int):
        return isinstance(actual, IntLit) and str(actual) == str(expected)
    if isinstance(expected, str):
        return type(actual) is str and actual == expected
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and \
            all(same_literal(a, e) for a, e in zip(actual, expected))
    if isinstance(expected, dict):
        return isinstance(actual, dict) and sorted(actual) == sorted(expected) and \
            all(same_literal(actual[k], expected[k]) for k in expected)
    raise TypeError('unsupported expected type %r' % type(expected))


# --------------------------------------------------------------------------------------------
# HTTP

class Response:
    def __init__(self, status, reason, headers, body, raw_head=b''):
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value), names as sent
        self.body = body                # bytes
        self.raw_head = raw_head

    def header(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def header1(self, name):
        v = self.header(name)
        return v[0] if v else None

    def json(self):
        return json.loads(self.body.decode('utf-8'))

    def lit(self):
        return json_literal(self.body.decode('utf-8'))

    def __repr__(self):
        b = self.body[:400]
        return '<HTTP %s %r %r>' % (self.status, self.headers, b)


class HTTPError(Exception):
    pass


def _read_all(sock, deadline):
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise HTTPError('timeout while reading the response (%d bytes so far)' % sum(map(len, chunks)))
        sock.settimeout(left)
        try:
            d = sock.recv(65536)
        except socket.timeout:
            raise HTTPError('timeout while reading the response (%d bytes so far)' % sum(map(len, chunks)))
        except ConnectionResetError:
            d = b''
        if not d:
            return b''.join(chunks)
        chunks.append(d)


def _dechunk(data):
    out = []
    pos = 0
    while True:
        eol = data.find(b'\r\n', pos)
        if eol < 0:
            raise HTTPError('bad chunked encoding')
        size = int(data[pos:eol].split(b';')[0].strip() or b'0', 16)
        pos = eol + 2
        if size == 0:
            return b''.join(out)
        out.append(data[pos:pos + size])
        pos += size + 2


def parse_http_response(data, method='GET'):
    sep = data.find(b'\r\n\r\n')
    if sep < 0:
        raise HTTPError('incomplete HTTP response: %r' % data[:200])
    head, body = data[:sep], data[sep + 4:]
    lines = head.split(b'\r\n')
    m = re.match(rb'HTTP/\d\.\d (\d{3}) ?(.*)', lines[0])
    if not m:
        raise HTTPError('bad status line %r' % lines[0])
    headers = []
    for ln in lines[1:]:
        k, _, v = ln.partition(b':')
        headers.append((k.decode('latin-1').strip(), v.decode('latin-1').strip()))
    resp = Response(int(m.group(1)), m.group(2).decode('latin-1'), headers, b'', head)
    if method == 'HEAD':
        resp.body = body
        return resp
    te = (resp.header1('Transfer-Encoding') or '').lower()
    if 'chunked' in te:
        body = _dechunk(body)
    else:
        cl = resp.header1('Content-Length')
        if cl is not None:
            n = int(cl)
            if len(body) < n:
                raise HTTPError('short body: %d of %d bytes' % (len(body), n))
            body = body[:n]
    resp.body = body
    return resp


def http_raw(port, raw, method='GET', timeout=30.0, host='127.0.0.1'):
    """Send raw bytes (a whole HTTP request) and parse the answer. The connection is closed
    by the server (the request should carry `Connection: close`)."""
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(raw)
        data = _read_all(s, deadline)
    if not data:
        raise HTTPError('connection closed without a response')
    return parse_http_response(data, method)


def build_request(method, target, headers=None, body=b''):
    """A request with the target exactly as given (str → latin-1 bytes, bytes as is)."""
    if isinstance(method, str):
        method = method.encode('latin-1')
    if isinstance(target, str):
        target = target.encode('latin-1')
    hdrs = [(b'Host', b'localhost'), (b'Connection', b'close'), (b'User-Agent', b'opendcre-it')]
    for k, v in (headers or {}).items():
        hdrs.append((k.encode('latin-1'), v.encode('latin-1')))
    if body or method == b'POST':
        hdrs.append((b'Content-Length', str(len(body)).encode()))
    out = method + b' ' + target + b' HTTP/1.1\r\n'
    for k, v in hdrs:
        out += k + b': ' + v + b'\r\n'
    return out + b'\r\n' + body


# --------------------------------------------------------------------------------------------
# FastCGI client (direct to the service socket)

FCGI_BEGIN_REQUEST, FCGI_ABORT_REQUEST, FCGI_END_REQUEST = 1, 2, 3
FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT, FCGI_STDERR = 4, 5, 6, 7


def _fcgi_record(rtype, content, req_id=1):
    pad = (8 - len(content) % 8) % 8
    return struct.pack('>BBHHBx', 1, rtype, req_id, len(content), pad) + content + b'\0' * pad


def _fcgi_len(n):
    return struct.pack('>B', n) if n < 128 else struct.pack('>I', n | 0x80000000)


def _fcgi_params(params):
    out = b''
    for k, v in params.items():
        k = k.encode('latin-1') if isinstance(k, str) else k
        v = v.encode('latin-1') if isinstance(v, str) else v
        out += _fcgi_len(len(k)) + _fcgi_len(len(v)) + k + v
    return out


def fcgi_request(sock_path, uri, method='GET', extra=None, body=b'', timeout=30.0):
    """One FastCGI request straight to the service. Returns a Response (status from the
    `Status:` header, 200 when absent)."""
    if isinstance(uri, str):
        uri = uri.encode('latin-1')
    params = {
        'GATEWAY_INTERFACE': 'CGI/1.1', 'SERVER_PROTOCOL': 'HTTP/1.1',
        'REQUEST_METHOD': method, 'REQUEST_URI': uri,
        'QUERY_STRING': uri.partition(b'?')[2] if b'?' in uri else b'',
        'CONTENT_LENGTH': str(len(body)) if body else '',
        'SERVER_NAME': 'localhost', 'SERVER_PORT': '80', 'REMOTE_ADDR': '127.0.0.1',
    }
    params.update(extra or {})
    params = {k: v for k, v in params.items() if v is not None}    # None removes a parameter
    msg = _fcgi_record(FCGI_BEGIN_REQUEST, struct.pack('>HB5x', 1, 0))
    p = _fcgi_params(params)
    for i in range(0, len(p), 65535):
        msg += _fcgi_record(FCGI_PARAMS, p[i:i + 65535])
    msg += _fcgi_record(FCGI_PARAMS, b'')
    if body:
        msg += _fcgi_record(FCGI_STDIN, body)
    msg += _fcgi_record(FCGI_STDIN, b'')
    deadline = time.monotonic() + timeout
    # sock_path: a Unix socket path, or a (host, port) tuple for TCP
    s = socket.socket(socket.AF_INET if isinstance(sock_path, tuple) else socket.AF_UNIX,
                      socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall(msg)
        buf = b''
        stdout = b''
        ended = False
        while not ended:
            while len(buf) >= 8:
                ver, rtype, rid, clen, plen = struct.unpack('>BBHHBx', buf[:8])
                if len(buf) < 8 + clen + plen:
                    break
                content = buf[8:8 + clen]
                buf = buf[8 + clen + plen:]
                if rtype == FCGI_STDOUT:
                    stdout += content
                elif rtype == FCGI_END_REQUEST:
                    ended = True
                    break
            if ended:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise HTTPError('FastCGI timeout')
            s.settimeout(left)
            d = s.recv(65536)
            if not d:
                raise HTTPError('FastCGI connection closed before END_REQUEST (stdout %r)' % stdout[:200])
            buf += d
    finally:
        s.close()
    sep = stdout.find(b'\r\n\r\n')
    sl = 4
    if sep < 0:
        sep = stdout.find(b'\n\n')
        sl = 2
    if sep < 0:
        raise HTTPError('FastCGI answer without a header block: %r' % stdout[:200])
    head, rbody = stdout[:sep], stdout[sep + sl:]
    headers = []
    status, reason = 200, 'OK'
    for ln in re.split(rb'\r?\n', head):
        k, _, v = ln.partition(b':')
        k, v = k.decode('latin-1').strip(), v.decode('latin-1').strip()
        headers.append((k, v))
        if k.lower() == 'status':
            status = int(v.split()[0])
            reason = v.partition(' ')[2]
    return Response(status, reason, headers, rbody, head)


# --------------------------------------------------------------------------------------------
# processes

def _children(pid):
    out = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                st = f.read()
        except OSError:
            continue
        rest = st[st.rfind(')') + 2:].split()
        if rest[0] != 'Z' and int(rest[1]) == pid:
            out.append(int(d))
    return sorted(out)


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            st = f.read()
        return st[st.rfind(')') + 2] != 'Z'
    except OSError:
        return False


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _tail(path, n=40):
    try:
        with open(path, 'rb') as f:
            lines = f.read().decode('utf-8', 'replace').splitlines()
        return '\n'.join(lines[-n:])
    except OSError:
        return '(no %s)' % path


CRASH_PATTERNS = re.compile(r'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|'
                            r'Segmentation fault|core dumped|double free|stack smashing|'
                            r'Assertion .* failed|malloc\(\)|free\(\): ')


class HarnessError(Exception):
    pass


class Harness:
    """Emulator + opendcre-fcgi + nginx in a temporary run directory."""

    def __init__(self, data, workers=4, plc=None, scan_cache=None, config=None,
                 name='it', start_nginx=True, pre_start=None):
        self.data = data if os.path.isabs(data) else data_file(data)
        self.workers = workers
        self.plc_extra = plc or {}
        self.scan_cache_extra = scan_cache or {}
        self.config_override = config
        self.name = name
        self.with_nginx = start_nginx
        self.pre_start = pre_start
        self.run = None
        self.emu = None
        self.svc = None
        self.ngx = None
        self.port = None
        self.worker_baseline = []
        self.allowed_worker_changes = 0
        self.expect_emulator_dead = False
        self.problems = []
        self._emu_logs = 0

    # ---- paths
    @property
    def link(self):
        return os.path.join(self.run, 'bus')

    @property
    def sock(self):
        return os.path.join(self.run, 'opendcre.sock')

    @property
    def lockfile(self):
        return os.path.join(self.run, 'plc.lock')

    @property
    def cachefile(self):
        return os.path.join(self.run, 'scan-cache.json')

    @property
    def svc_log(self):
        return os.path.join(self.run, 'opendcre-fcgi.log')

    @property
    def ngx_log(self):
        return os.path.join(self.run, 'nginx-error.log')

    # ---- lifecycle
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        self.run = tempfile.mkdtemp(prefix='opendcre-%s-' % self.name)
        try:
            self.start_emulator()
            self.write_config()
            if self.pre_start:
                self.pre_start(self)
            self.start_service()
            if self.with_nginx:
                self.start_nginx()
        except Exception:
            self.dump_logs()
            self.stop(check=False)
            raise
        return self

    def start_emulator(self, timeout=10.0):
        self._emu_logs += 1
        logpath = os.path.join(self.run, 'emulator-%d.log' % self._emu_logs)
        self.emu_log = logpath
        cmd = [EMU_EXE, '--pty', self.link, '--data', self.data] + (['--debug'] if DEBUG else [])
        with open(logpath, 'wb') as errf:
            self.emu = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errf, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        line = b''
        fd = self.emu.stdout.fileno()
        while not line.endswith(b'\n'):
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError('emulator did not print its ready line within %.0f s; log:\n%s'
                                   % (timeout, _tail(logpath)))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                d = os.read(fd, 1)
                if not d:
                    raise HarnessError('emulator exited (rc %s) before its ready line; log:\n%s'
                                       % (self.emu.wait(), _tail(logpath)))
                line += d
        parts = line.decode().split()
        if len(parts) != 3 or parts[0] != 'ready' or parts[1] != self.link:
            raise HarnessError('unexpected emulator ready line %r' % line)
        if os.readlink(self.link) != parts[2] or not os.path.exists(parts[2]):
            raise HarnessError('emulator link %s -> %s, ready line says %s'
                               % (self.link, os.readlink(self.link), parts[2]))
        self.slave = parts[2]
        self.expect_emulator_dead = False
        return self.emu

    def stop_emulator(self, sig=signal.SIGTERM, timeout=10.0):
        """Stop the emulator; returns its exit code (SIGKILL → -9)."""
        self.emu.send_signal(sig)
        try:
            rc = self.emu.wait(timeout)
        except subprocess.TimeoutExpired:
            self.emu.kill()
            rc = self.emu.wait()
            self.problems.append('emulator did not stop within %.0f s of signal %d' % (timeout, sig))
        self.emu.stdout.close()
        self.expect_emulator_dead = True
        return rc

    def config_dict(self):
        if self.config_override is not None:
            return self.config_override
        plc = {'hardware_type': 'emulator', 'device': self.link, 'lockfile': self.lockfile,
               'timeout': 0.25, 'retry_limit': 3, 'mac_address': 'b8:27:eb:12:34:56'}
        plc.update(self.plc_extra)
        sc = {'file': self.cachefile, 'cache_timeout': 600}
        sc.update(self.scan_cache_extra)
        return {'plc': plc, 'scan_cache': sc,
                'log': {'level': 'debug' if DEBUG else 'info', 'target': 'stderr'}}

    def write_config(self):
        self.config_path = os.path.join(self.run, 'opendcre.json')
        with open(self.config_path, 'w') as f:
            json.dump(self.config_dict(), f, indent=2)

    def start_service(self, timeout=20.0):
        cmd = [FCGI_EXE, '--config', self.config_path, '--socket', self.sock,
               '--workers', str(self.workers)] + (['--debug'] if DEBUG else [])
        with open(self.svc_log, 'ab') as logf:
            self.svc = subprocess.Popen(cmd, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.svc.poll() is not None:
                raise HarnessError('opendcre-fcgi exited with %s during start-up; log:\n%s'
                                   % (self.svc.returncode, _tail(self.svc_log)))
            if os.path.exists(self.sock):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    s.connect(self.sock)
                    break
                except OSError:
                    pass
                finally:
                    s.close()
            if time.monotonic() > deadline:
                raise HarnessError('opendcre-fcgi socket not ready within %.0f s; log:\n%s'
                                   % (timeout, _tail(self.svc_log)))
            time.sleep(0.02)
        self.worker_baseline = self.wait_workers(self.workers, deadline)

    def worker_pids(self):
        return _children(self.svc.pid)

    def wait_workers(self, n, deadline=None, exclude=()):
        """Wait until the main process has exactly n live workers (none of `exclude`)."""
        deadline = deadline or time.monotonic() + 15
        while True:
            pids = self.worker_pids()
            if len(pids) == n and not set(pids) & set(exclude):
                return pids
            if self.svc.poll() is not None:
                raise HarnessError('opendcre-fcgi exited with %s; log:\n%s'
                                   % (self.svc.returncode, _tail(self.svc_log)))
            if time.monotonic() > deadline:
                raise HarnessError('expected %d workers, have %r' % (n, pids))
            time.sleep(0.02)

    def nginx_snippet(self, text):
        """The shipped snippet as nginx gets it (a test may change a value here)."""
        return text

    def start_nginx(self, timeout=15.0):
        nginx = find_nginx()
        with open(os.path.join(SOURCE, 'etc', 'nginx', 'opendcre.conf')) as f:
            snippet = self.nginx_snippet(f.read().replace('@OPENDCRE_SOCKET@', self.sock))
        with open(os.path.join(self.run, 'opendcre.conf'), 'w') as f:
            f.write(snippet)
        params = '/etc/nginx/fastcgi_params'
        if os.path.exists(params):
            shutil.copy(params, os.path.join(self.run, 'fastcgi_params'))
        else:  # a minimal stand-in
            with open(os.path.join(self.run, 'fastcgi_params'), 'w') as f:
                for k, v in (('QUERY_STRING', '$query_string'), ('REQUEST_METHOD', '$request_method'),
                             ('CONTENT_TYPE', '$content_type'), ('CONTENT_LENGTH', '$content_length'),
                             ('SCRIPT_NAME', '$fastcgi_script_name'), ('REQUEST_URI', '$request_uri'),
                             ('SERVER_PROTOCOL', '$server_protocol'), ('REMOTE_ADDR', '$remote_addr'),
                             ('REMOTE_USER', '$remote_user'), ('SERVER_NAME', '$server_name')):
                    f.write('fastcgi_param %s %s;\n' % (k, v))
        import pwd
        import grp
        user = pwd.getpwuid(os.geteuid()).pw_name
        group = grp.getgrgid(os.getegid()).gr_name
        with open(os.path.join(SOURCE, 'etc', 'nginx', 'demo.conf.in')) as f:
            template = f.read()
        conf = os.path.join(self.run, 'nginx.conf')
        for attempt in range(5):
            self.port = _free_port()
            text = (template.replace('@RUN_DIR@', self.run).replace('@LISTEN@', '127.0.0.1:%d' % self.port)
                    .replace('@USER@', user).replace('@GROUP@', group))
            with open(conf, 'w') as f:
                f.write(text)
            with open(os.path.join(self.run, 'nginx-stderr.log'), 'ab') as errf:
                self.ngx = subprocess.Popen([nginx, '-p', self.run + '/', '-c', conf, '-e', self.ngx_log],
                                            stdout=errf, stderr=errf, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
            deadline = time.monotonic() + timeout
            while True:
                if self.ngx.poll() is not None:
                    break
                try:
                    socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                    if os.path.exists(os.path.join(self.run, 'nginx.pid')):
                        return
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise HarnessError('nginx not listening within %.0f s; log:\n%s'
                                       % (timeout, _tail(self.ngx_log)))
                time.sleep(0.02)
            if 'Address already in use' not in _tail(self.ngx_log, 5):
                raise HarnessError('nginx exited with %s; log:\n%s' % (self.ngx.returncode, _tail(self.ngx_log)))
        raise HarnessError('nginx could not bind a port')

    # ---- state
    def seq(self):
        """The next sequence number stored in the lock file (plc-protocol.md §7)."""
        with open(self.lockfile) as f:
            return int(f.read().strip() or '1')

    # ---- requests
    def request(self, target, method='GET', headers=None, body=b'', timeout=30.0):
        return http_raw(self.port, build_request(method, target, headers, body), method=method, timeout=timeout)

    def get(self, target, **kw):
        return self.request(target, 'GET', **kw)

    def raw(self, raw, method='GET', timeout=30.0):
        return http_raw(self.port, raw, method=method, timeout=timeout)

    def fcgi(self, uri, method='GET', **kw):
        return fcgi_request(self.sock, uri, method, **kw)

    # ---- teardown
    def check_alive(self):
        """Problems so far: a dead service or emulator, replaced workers."""
        out = []
        if self.svc is not None and self.svc.poll() is not None:
            out.append('opendcre-fcgi main process died (rc %s)' % self.svc.returncode)
        elif self.svc is not None and self.worker_baseline:
            now = self.worker_pids()
            gone = set(self.worker_baseline) - set(now)
            if len(gone) > self.allowed_worker_changes:
                out.append('workers exited or were replaced: baseline %r, now %r (a worker crashed?)'
                           % (self.worker_baseline, now))
        if self.emu is not None and not self.expect_emulator_dead and self.emu.poll() is not None:
            out.append('emulator died (rc %s)' % self.emu.returncode)
        if self.ngx is not None and self.ngx.poll() is not None:
            out.append('nginx died (rc %s)' % self.ngx.returncode)
        return out

    def stop(self, check=True):
        problems = list(self.problems)
        if check:
            problems += self.check_alive()
        if self.ngx is not None and self.ngx.poll() is None:
            self.ngx.send_signal(signal.SIGQUIT)
            try:
                self.ngx.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.ngx.pid, signal.SIGKILL)
                self.ngx.wait()
        if self.svc is not None and self.svc.poll() is None:
            workers = self.worker_pids()
            self.svc.send_signal(signal.SIGTERM)
            try:
                rc = self.svc.wait(15)
                if rc != 0 and check:
                    problems.append('opendcre-fcgi exited with %s after SIGTERM (expected 0)' % rc)
            except subprocess.TimeoutExpired:
                problems.append('opendcre-fcgi did not stop within 15 s of SIGTERM')
                self.svc.kill()
                self.svc.wait()
            deadline = time.monotonic() + 5
            while any(_alive(p) for p in workers) and time.monotonic() < deadline:
                time.sleep(0.02)
            left = [p for p in workers if _alive(p)]
            if left:
                problems.append('workers %r still running after the main process stopped' % left)
                for p in left:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
        if self.emu is not None and self.emu.poll() is None:
            self.emu.send_signal(signal.SIGTERM)
            try:
                rc = self.emu.wait(10)
                if rc != 0 and check:
                    problems.append('emulator exited with %s after SIGTERM (expected 0)' % rc)
            except subprocess.TimeoutExpired:
                problems.append('emulator did not stop within 10 s of SIGTERM')
                self.emu.kill()
                self.emu.wait()
        if self.emu is not None and self.emu.stdout and not self.emu.stdout.closed:
            self.emu.stdout.close()
        if self.run and check:
            for path in [self.svc_log, self.ngx_log] + \
                    [os.path.join(self.run, 'emulator-%d.log' % i) for i in range(1, self._emu_logs + 1)]:
                try:
                    with open(path, 'rb') as f:
                        text = f.read().decode('utf-8', 'replace')
                except OSError:
                    continue
                for ln in text.splitlines():
                    if CRASH_PATTERNS.search(ln):
                        problems.append('%s: %s' % (os.path.basename(path), ln.strip()[:300]))
                        break
                if path == self.ngx_log:
                    for pat in ('upstream prematurely closed', 'exited on signal'):
                        if pat in text and not self.allowed_worker_changes:
                            problems.append('nginx error log: %s' % pat)
        self.svc = self.emu = self.ngx = None
        if problems:
            self.dump_logs()
        if self.run and not KEEP and not problems:
            shutil.rmtree(self.run, ignore_errors=True)
        elif self.run:
            log('run directory kept:', self.run)
        self.problems = []
        return problems

    def dump_logs(self):
        if not self.run:
            return
        for name in sorted(os.listdir(self.run)):
            if name.endswith('.log') and 'access' not in name:
                log('---- %s (tail) ----' % name)
                for ln in _tail(os.path.join(self.run, name), 25).splitlines():
                    log(ln)


# --------------------------------------------------------------------------------------------
# test runner

class Runner:
    """Sequential checks with TAP-like output; failures are collected, not fatal."""

    def __init__(self, name):
        self.name = name
        self.n = 0
        self.failed = []
        self.passed = 0

    def check(self, title, fn, *args, **kw):
        self.n += 1
        try:
            fn(*args, **kw)
        except Exception as e:  # noqa: BLE001 - report every kind of failure
            self.failed.append(title)
            print('not ok %d - %s' % (self.n, title), flush=True)
            msg = ''.join(traceback.format_exception_only(type(e), e)).rstrip()
            if not isinstance(e, AssertionError):
                msg = traceback.format_exc().rstrip()
            for ln in msg.splitlines():
                print('#   ' + ln)
            sys.stdout.flush()
            return False
        self.passed += 1
        print('ok %d - %s' % (self.n, title), flush=True)
        return True

    def fail(self, title, exc):
        """Record a failed check for an exception caught by the caller."""
        def f():
            raise exc
        self.check(title, f)

    def harness_problems(self, h_or_problems, title='no crashes, clean shutdown'):
        probs = h_or_problems.stop() if isinstance(h_or_problems, Harness) else h_or_problems

        def f():
            assert not probs, '; '.join(probs)
        self.check(title, f)

    def main(self, fn):
        """A test program's entry: run fn, a failure of its set-up counts as one, then finish."""
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            self.fail('test set-up', e)
        self.finish()

    def finish(self):
        print('1..%d' % self.n)
        print('# %s: %d passed, %d failed' % (self.name, self.passed, len(self.failed)), flush=True)
        for t in self.failed:
            print('#   FAILED: ' + t)
        sys.exit(1 if self.failed else 0)


# --------------------------------------------------------------------------------------------
# assertion helpers shared by the tests

API12_404 = {'message': '404: Not Found'}
API13_404 = {'http_code': 404, 'message': 'The requested URL was not found on the server.  '
             'If you entered the URL manually please check your spelling and try again.'}
API12_405 = {'message': '405: Method Not Allowed'}
API13_405 = {'http_code': 405, 'message': 'The method is not allowed for the requested URL.'}


def version_of(target):
    t = target if isinstance(target, str) else target.decode('latin-1')
    return '1.2' if t.startswith('/opendcre/1.2/') else '1.3'


def check_common_headers(r, what=''):
    ct = r.header('Content-Type')
    assert len(ct) == 1 and ct[0].split(';')[0].strip().lower() == 'application/json', \
        '%s: Content-Type %r, expected application/json' % (what, ct)
    acao = r.header('Access-Control-Allow-Origin')
    assert acao == ['*'], '%s: Access-Control-Allow-Origin %r, expected exactly one "*"' % (what, acao)


def expect_ok(r, expected, what=''):
    """200, JSON headers, body equal to `expected` with literal number checks."""
    assert r.status == 200, '%s: status %d, expected 200; body %r' % (what, r.status, r.body[:300])
    check_common_headers(r, what)
    try:
        got = r.lit()
    except ValueError as e:
        raise AssertionError('%s: body is not JSON (%s): %r' % (what, e, r.body[:300]))
    order = unsorted_objects(r.body.decode('utf-8'))
    assert not order, '%s: object keys not in alphabetical order: %r' % (what, order[:3])
    if expected is not None:
        assert same_literal(got, expected), '%s: body %s, expected %s' % (
            what, r.body.decode('utf-8', 'replace'), json.dumps(expected, sort_keys=True))
    return got


def expect_error(r, status, version, message=None, prefix=None, contains=(), what=''):
    """An error answer: status, JSON headers and the version's body shape
    (1.2 {"message"}, 1.3 {"http_code", "message"})."""
    assert r.status == status, '%s: status %d, expected %d; body %r' % (what, r.status, status, r.body[:300])
    check_common_headers(r, what)
    try:
        body = r.json()
    except ValueError as e:
        raise AssertionError('%s: error body is not JSON (%s): %r' % (what, e, r.body[:300]))
    if version == '1.2':
        assert isinstance(body, dict) and sorted(body) == ['message'], \
            '%s: 1.2 error body must be {"message"}: %r' % (what, body)
    else:
        assert isinstance(body, dict) and sorted(body) == ['http_code', 'message'], \
            '%s: 1.3 error body must be {"http_code", "message"}: %r' % (what, body)
        assert body['http_code'] == status and type(body['http_code']) is int, \
            '%s: http_code %r, expected %d' % (what, body['http_code'], status)
    order = unsorted_objects(r.body.decode('utf-8'))
    assert not order, '%s: object keys not in alphabetical order: %r' % (what, order[:3])
    msg = body['message']
    assert isinstance(msg, str) and msg, '%s: empty message' % what
    if message is not None:
        assert msg == message, '%s: message %r, expected %r' % (what, msg, message)
    if prefix is not None:
        assert msg.startswith(prefix), '%s: message %r, expected to start with %r' % (what, msg, prefix)
    for c in contains:
        assert c.lower() in msg.lower(), '%s: message %r does not mention %r' % (what, msg, c)
    return msg


# --------------------------------------------------------------------------------------------
# expected values (conversions.md), computed the way the spec prescribes

from decimal import Decimal, ROUND_HALF_UP  # noqa: E402


def round2(x):
    """conversions.md §7: round the exact binary value to 0.01, ties away from zero."""
    return float(Decimal(x).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP))


def thermistor(a):
    a = float(a)
    if a > 745:
        t = a * -0.131 + 118.638
    elif a > 542:
        t = a * -0.0985 + 93.399
    elif a > 354:
        t = a * -0.106 + 97.66
    elif a > 218:
        t = a * -0.147 + 112.046
    else:
        t = a * -0.235 + 131.294
    return round2(t)


def humidity(r):
    h = ((r >> 16) & 0x3FFF) / 16382 * 100
    t = (((r & 0xFFFF) >> 2) / 16382) * 165 - 40
    return {'humidity': round2(h), 'temperature_c': round2(t)}


def power8(payload):
    f = [int(x) for x in payload.split(',')]
    st, p, v, c = f
    return {
        'input_power': (float(p) * 100.0 - 0.0) * (1.0 / 6043.0),
        'input_voltage': (float(v) * 100.0 - 0.0) * (1.0 / 19199.0),
        'output_current': (float(c) * 10.0 - 20745.0) * (1.0 / 807.0),
        'over_current': bool(st & 0x10),
        'pmbus_raw': payload,
        'power_ok': not (st & 0x800),
        'power_status': 'off' if st & 0x40 else 'on',
        'under_voltage': bool(st & 0x08),
    }


def location(dev):
    phys = {'depth': 'unknown', 'horizontal': 'unknown', 'vertical': 'unknown'}
    if dev is None:
        return {'physical_location': phys}

    def two(b1, b2, both, first, second):
        s1, s2 = bool(dev >> b1 & 1), bool(dev >> b2 & 1)
        return both if s1 and s2 else first if s1 else second if s2 else 'unknown'
    if dev & 0x8000:
        cl = {'depth': 'unknown', 'horiz_pos': 'unknown', 'vert_pos': 'unknown', 'server_node': (dev >> 8) & 0x1F}
    else:
        cl = {'depth': two(14, 13, 'middle', 'front', 'rear'),
              'horiz_pos': two(12, 11, 'middle', 'left', 'right'),
              'vert_pos': two(10, 9, 'middle', 'top', 'bottom'),
              'server_node': 'unknown'}
    return {'chassis_location': cl, 'physical_location': phys}


TYPE_CODES = {'vapor_led': 0x08, 'led': 0x10, 'system': 0x12, 'power': 0x40, 'vapor_rectifier': 0x48,
              'vapor_battery': 0x4A, 'humidity': 0x4E, 'fan_speed': 0x82, 'vapor_fan': 0x88, 'current': 0x90,
              'temperature': 0x9A, 'thermistor': 0x9C, 'pressure': 0xEE, 'power_supply': 0xF0,
              'airflow': 0xF2, 'none': 0xFF}


def expected_scan_boards(data, raw_override=None):
    """The boards a clean scan-all of `data` gives: file order, devices in list order, boards
    without devices left out. raw_override: {board_id_text: [(dev_id, type), ...]} for boards
    answering from raw_data."""
    out = []
    for b in data['boards']:
        bid = '%08x' % int(b['board_id'], 16)
        if raw_override and b['board_id'] in raw_override:
            devs = [{'device_id': d, 'device_type': t} for d, t in raw_override[b['board_id']]]
        else:
            devs = [{'device_id': '%04x' % int(d['device_id'], 16), 'device_type': d['device_type']}
                    for d in b['devices']]
        if devs:
            out.append({'board_id': bid, 'devices': devs})
    return out
