#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Keep the user documentation true (TAP).

    test_api_doc.py ROUTE_LIST_PROGRAM SOURCE_ROOT

1. The routes of etc/doc/api.md equal the service's route table. The table comes from
   ROUTE_LIST_PROGRAM (test/lint/route_list.c, linked with core), which prints every route as
   "GET /opendcre/1.2/scan" or "GET, POST /opendcre/1.3/test". A documented route is a table
   row whose first cell is the methods and whose second cell is the path in backticks:
       | GET | `/opendcre/1.3/scan/{rack}` | ...
   Every route must be documented exactly once, with its methods; the doc names no other route.
2. Every key in the key tables of core/config.c, transports/plc/plc_config.c and
   transports/bridge/bridge_config.c (the `static const char *const NAME[] = {...}` lists the
   loader checks objects against) and every section name of transports/registry.c is
   documented in etc/doc/configuration.md, as the first cell (`key`) of a table row under the
   heading that documents that object.
3. The checks can fail: the same comparisons run again on the docs with one route row and one
   key row removed, and must then report that route and that key.
"""
import os
import re
import subprocess
import sys

ROUTE_ROW = re.compile(r'^\|\s*(GET(?:, POST)?)\s*\|\s*`(/(?:opendcre/)?[^`]*)`\s*\|')
KEY_ROW = re.compile(r'^\|\s*`([a-z0-9_]+)`\s*\|')
HEADING = re.compile(r'^(#+)\s+(.*?)\s*$')

# (C function, table name) -> the configuration.md heading that documents that object.
# A new key table in the loader must be added here (and documented): the test fails until then.
KEY_TABLES = {
    ('dcre_config_load', 'core_sections'): 'Top level',
    ('registry', 'transports'): 'Top level',
    ('load_plc', 'keys'): '`plc` section',
    ('load_gpio', 'keys'): '`plc.gpio`',
    ('load_scan_cache', 'keys'): '`scan_cache` section',
    ('load_log', 'keys'): '`log` section',
    ('load_metrics', 'keys'): '`metrics` section',
    ('dcre_config_load_ipmi', 'keys'): '`ipmi` section',
    ('dcre_config_load_ipmi', 'fkeys'): 'IPMI device file',
    ('load_bmc', 'keys'): 'One BMC',
    ('get_algorithms', 'keys'): 'One BMC',
    ('walk_racks', 'rack_keys_ipmi'): 'A rack of BMCs',
    ('dcre_config_load_redfish', 'keys'): '`redfish` section',
    ('dcre_config_load_redfish', 'fkeys'): 'Redfish device file',
    ('load_server', 'keys'): 'One Redfish server',
    ('walk_racks', 'rack_keys_rf'): 'A rack of Redfish servers',
}

n_test = 0
failed = False


def tap(ok, label, detail=()):
    global n_test, failed
    n_test += 1
    print('%s %d - %s' % ('ok' if ok else 'not ok', n_test, label))
    for line in detail:
        print('# ' + line)
    if not ok:
        failed = True


def code_routes(program):
    out = subprocess.run([program], check=True, capture_output=True, text=True).stdout
    routes = []
    for line in out.splitlines():
        methods, _, path = line.partition(' /')
        routes.append((methods, '/' + path))
    return routes


def doc_routes(lines):
    return [(m.group(1), m.group(2)) for m in map(ROUTE_ROW.match, lines) if m]


def route_problems(code, doc):
    problems = []
    code_paths = {p: m for m, p in code}
    doc_paths = {}
    for m, p in doc:
        if p in doc_paths:
            problems.append('documented twice: %s' % p)
        doc_paths[p] = m
    for m, p in code:
        if p not in doc_paths:
            problems.append('in the route table, missing from api.md: %s %s' % (m, p))
        elif doc_paths[p] != m:
            problems.append('%s: api.md says %s, the route table %s' % (p, doc_paths[p], m))
    for m, p in doc:
        if p not in code_paths:
            problems.append('in api.md, not in the route table: %s %s' % (m, p))
    return problems


def key_tables(path):
    """[(function, table, [keys])] of the `static const char *const NAME[] = {...}` lists."""
    text = open(path, encoding='utf-8').read()
    tables = []
    for m in re.finditer(r'static const char \*const (\w+)\[\]\s*=\s*\{(.*?)\};', text, re.S):
        before = text[:m.start()]
        funcs = re.findall(r'^[a-z][^\n;]*?\b(\w+)\([^\n]*$', before, re.M)
        keys = re.findall(r'"([^"]*)"', m.group(2))
        tables.append((funcs[-1] if funcs else '', m.group(1), keys))
    return tables


def doc_keys(lines):
    """heading text -> set of keys in the first cell of its table rows (subheadings apart)."""
    keys = {}
    current = None
    for line in lines:
        h = HEADING.match(line)
        if h:
            current = keys.setdefault(h.group(2), set())
            continue
        k = KEY_ROW.match(line)
        if k and current is not None:
            current.add(k.group(1))
    return keys


def key_problems(tables, lines):
    problems = []
    documented = doc_keys(lines)
    for func, name, keys in tables:
        heading = KEY_TABLES.get((func, name))
        if heading is None:
            problems.append('key table %s in %s() is not mapped to a configuration.md heading '
                            '(add it to KEY_TABLES in %s)' % (name, func, os.path.basename(__file__)))
            continue
        if heading not in documented:
            problems.append('configuration.md has no heading "%s"' % heading)
            continue
        for k in keys:
            if k not in documented[heading]:
                problems.append('key %r of %s() %s is not documented under "%s"'
                                % (k, func, name, heading))
    return problems


def main():
    if len(sys.argv) != 3:
        print('usage: test_api_doc.py ROUTE_LIST_PROGRAM SOURCE_ROOT', file=sys.stderr)
        return 2
    program, root = sys.argv[1], sys.argv[2]
    api_md = os.path.join(root, 'etc', 'doc', 'api.md')
    cfg_md = os.path.join(root, 'etc', 'doc', 'configuration.md')
    api_lines = open(api_md, encoding='utf-8').read().splitlines()
    cfg_lines = open(cfg_md, encoding='utf-8').read().splitlines()

    code = code_routes(program)
    doc = doc_routes(api_lines)
    for api in ('1.2', '1.3'):
        n = sum(1 for _, p in code if p.startswith('/opendcre/%s/' % api))
        tap(n > 0, 'the route table lists %d routes of the %s API' % (n, api))
    p = route_problems(code, doc)
    tap(not p, 'api.md documents the %d routes of the route table, each once, with its methods'
        % len(code), p)

    tables = []
    for f in ('core/config.c', 'transports/plc/plc_config.c', 'transports/bridge/bridge_config.c'):
        tables += key_tables(os.path.join(root, f))
    registry = open(os.path.join(root, 'transports', 'registry.c'), encoding='utf-8').read()
    tables.append(('registry', 'transports',
                   re.findall(r'^\s*\{"(\w+)",', registry, re.M)))
    nkeys = sum(len(k) for _, _, k in tables)
    tap(len(tables) >= len(KEY_TABLES) and nkeys > 50,
        'found %d key tables with %d keys in the configuration loader' % (len(tables), nkeys))
    p = key_problems(tables, cfg_lines)
    tap(not p, 'configuration.md documents every key of the loader\'s key tables', p)

    # The checks can fail: drop one documented route and one documented key.
    rows = [i for i, l in enumerate(api_lines) if ROUTE_ROW.match(l)]
    for i in (rows[0], rows[-1]):
        mutant = api_lines[:i] + api_lines[i + 1:]
        gone = ROUTE_ROW.match(api_lines[i]).group(2)
        p = route_problems(code, doc_routes(mutant))
        tap(any(gone in x for x in p), 'without its row in api.md, %s is reported missing' % gone, p)
    bogus = api_lines + ['| GET | `/opendcre/1.3/nosuch/{rack}` | x |']
    p = route_problems(code, doc_routes(bogus))
    tap(any('nosuch' in x for x in p), 'a documented route the table lacks is reported', p)
    for func, name, keys in tables[:1] + tables[-1:]:
        key = keys[-1]
        heading = KEY_TABLES.get((func, name))
        mutant, inside = [], False
        for line in cfg_lines:
            h = HEADING.match(line)
            if h:
                inside = h.group(2) == heading
            k = KEY_ROW.match(line)
            if inside and k and k.group(1) == key:
                continue
            mutant.append(line)
        p = key_problems(tables, mutant)
        tap(any(repr(key) in x for x in p),
            'without its row under "%s", key %r is reported missing' % (heading, key), p)

    print('1..%d' % n_test)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
