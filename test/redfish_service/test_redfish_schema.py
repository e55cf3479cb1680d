#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every resource the Redfish front end can answer, crawled from the service root through nginx
(PLC, IPMI and Redfish boards behind it), validated against its DMTF JSON schema from
../shared/redfish-dmtf/json-schema (offline: schema URLs resolve to those files, as its README
says) with Debian's python3-jsonschema. Every @odata.id the crawl follows must answer 200 (no
dangling link); the $metadata document must reference CSDL files and namespaces that exist in
../shared/redfish-dmtf/csdl; an error body must validate against redfish-error.
Exit 0 pass, 1 fail, 77 skip (the reference data or python3-jsonschema missing, or a tool)."""

import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rfsvc  # noqa: E402
from rfsvc import H  # noqa: E402

DMTF = os.environ.get('DCRE_REDFISH_DMTF') or os.path.normpath(
    os.path.join(rfsvc.H.SOURCE, '..', 'shared', 'redfish-dmtf'))
SCHEMAS = os.path.join(DMTF, 'json-schema')
PREFIX = 'http://redfish.dmtf.org/schemas/v1/'

R = H.Runner('test_redfish_schema')


def need():
    if not os.path.isdir(SCHEMAS):
        H.skip('the DMTF Redfish reference data is not here (%s): the schema crawl needs '
               '../shared/redfish-dmtf (json-schema, csdl)' % DMTF)
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        H.skip('python3-jsonschema is not installed (apt-get install python3-jsonschema)')


def local_file(name):
    """The file of a schema name; a version that is not here is served by the latest one."""
    path = os.path.join(SCHEMAS, name)
    if os.path.exists(path):
        return path
    m = re.match(r'^([A-Za-z0-9]+)\.v\d+_\d+_\d+\.json$', name)
    if m:
        cands = glob.glob(os.path.join(SCHEMAS, m.group(1) + '.v*.json'))

        def ver(p):
            return tuple(int(x) for x in re.findall(r'v(\d+)_(\d+)_(\d+)', p)[0])
        if cands:
            return max(cands, key=ver)
    raise FileNotFoundError('no schema file for %s' % name)


_cache = {}


def load(url):
    name = url[len(PREFIX):] if url.startswith(PREFIX) else url.rsplit('/', 1)[-1]
    name = name.split('#', 1)[0]
    if name not in _cache:
        with open(local_file(name)) as f:
            _cache[name] = json.load(f)
    return _cache[name]


def validator_for(odata_type):
    import jsonschema
    m = re.match(r'^#([A-Za-z0-9]+)(?:\.(v\d+_\d+_\d+))?\.([A-Za-z0-9]+)$', odata_type)
    assert m, 'odd @odata.type %r' % odata_type
    ns, ver, defn = m.groups()
    fname = '%s.%s.json' % (ns, ver) if ver else '%s.json' % ns
    assert os.path.exists(os.path.join(SCHEMAS, fname)), 'no schema %s for %s' % (fname, odata_type)
    schema = {'$ref': PREFIX + fname + '#/definitions/' + defn}
    resolver = jsonschema.RefResolver(PREFIX, schema, handlers={'http': load, 'https': load})
    return jsonschema.Draft7Validator(schema, resolver=resolver)


def links(doc, out):
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == '@odata.id' and isinstance(v, str):
                out.add(v.split('#', 1)[0])
            elif k == 'DataSourceUri' and isinstance(v, str):
                out.add(v)
            else:
                links(v, out)
    elif isinstance(doc, list):
        for v in doc:
            links(v, out)


def main():
    need()
    s = rfsvc.Setup('rfschema')
    try:
        s.start()
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001
        R.fail('start', e)
        s.stop()
        R.finish()
    try:
        run(s)
    finally:
        R.harness_problems(s.stop())
    R.finish()


def run(s):
    seen, todo, docs = set(), ['/redfish/v1/'], {}

    def crawl():
        bad = []
        while todo:
            p = todo.pop(0)
            if p in seen:
                continue
            seen.add(p)
            st, doc, hd = s.get(p)
            if st != 200:
                bad.append('%s: %d' % (p, st))
                continue
            if not hd.get('etag') or hd.get('odata-version') != '4.0':
                bad.append('%s: headers %r' % (p, hd))
            docs[p] = doc
            found = set()
            links(doc, found)
            todo.extend(sorted(found - seen))
        assert not bad, bad
        kinds = {d.get('@odata.type', '').split('.')[0] for d in docs.values()}
        for want in ('#ServiceRoot', '#Chassis', '#Thermal', '#Power', '#SensorCollection', '#Sensor',
                     '#ComputerSystem', '#ComputerSystemCollection', '#Manager', '#ManagerCollection',
                     '#SessionService', '#SessionCollection', '#ChassisCollection'):
            assert want in kinds, 'the crawl found no %s resource (%s)' % (want, sorted(kinds))
        assert len(docs) > 40, len(docs)
    R.check('crawl from the service root: every @odata.id answers 200 with ETag and OData-Version '
            '(no dangling link)', crawl)

    def validate():
        bad = []
        for p, doc in sorted(docs.items()):
            t = doc.get('@odata.type')
            if not t:
                bad.append('%s: no @odata.type' % p)
                continue
            if doc.get('@odata.id') != p:
                bad.append('%s: @odata.id %r' % (p, doc.get('@odata.id')))
            for e in validator_for(t).iter_errors(doc):
                bad.append('%s (%s): %s at %s' % (p, t, e.message[:200], '/'.join(map(str, e.absolute_path))))
        assert not bad, '%d problems:\n' % len(bad) + '\n'.join(bad[:30])
    R.check('every crawled resource validates against its DMTF JSON schema (%s)' % SCHEMAS, validate)

    def metadata():
        st, hd, body = s.request('GET', '/redfish/v1/$metadata', auth=False)
        assert st == 200 and hd['content-type'].startswith('application/xml'), (st, hd)
        text = body.decode()
        refs = re.findall(r'<edmx:Reference Uri="([^"]+)">(.*?)</edmx:Reference>', text, re.S)
        assert refs, text[:300]
        for uri, inner in refs:
            assert uri.startswith(PREFIX), uri
            path = os.path.join(DMTF, 'csdl', uri[len(PREFIX):])
            assert os.path.exists(path), 'no CSDL file for %s' % uri
            with open(path) as f:
                csdl = f.read()
            for ns in re.findall(r'Include Namespace="([^"]+)"', inner):
                assert 'Namespace="%s"' % ns in csdl, '%s does not declare %s' % (uri, ns)
        types = {d['@odata.type'][1:].rsplit('.', 1)[0] for d in docs.values()}
        included = set(re.findall(r'Include Namespace="([^"]+)"', text))
        assert types <= included, 'types not in $metadata: %s' % sorted(types - included)
        st, doc, _ = s.get('/redfish/v1/odata', auth=False)
        assert doc['@odata.context'] == '/redfish/v1/$metadata' and \
            {'url': '/redfish/v1/', 'name': 'Service', 'kind': 'Singleton'} in doc['value'], doc
    R.check('$metadata references DMTF CSDL files and namespaces that exist, every payload type '
            'among them; the OData service document', metadata)

    def error_schema():
        import jsonschema
        with open(os.path.join(SCHEMAS, 'redfish-error.v1_0_2.json')) as f:
            schema = json.load(f)
        resolver = jsonschema.RefResolver(PREFIX, schema, handlers={'http': load, 'https': load})
        for method, path, body in (('GET', '/redfish/v1/Chassis/nosuch', None),
                                   ('PATCH', '/redfish/v1/Chassis/' + s.ids['plc'], {'Nope': 1}),
                                   ('POST', '/redfish/v1/Systems/%s/Actions/ComputerSystem.Reset'
                                    % s.ids['plc'], {'ResetType': 'Bogus'})):
            st, hd, data = s.request(method, path, body=body)
            assert st in (400, 404), (path, st)
            jsonschema.Draft7Validator(schema, resolver=resolver).validate(json.loads(data))
    R.check('error bodies validate against redfish-error.v1_0_2', error_schema)

    # the checks can fail: a payload with a wrong value type does not validate
    def can_fail():
        doc = dict(docs['/redfish/v1/Chassis/' + s.ids['plc']], ChassisType='Spaceship')
        errs = list(validator_for(doc['@odata.type']).iter_errors(doc))
        assert errs, 'a bad ChassisType validated'
    R.check('the validation can fail (ChassisType "Spaceship" is refused)', can_fail)


if __name__ == '__main__':
    main()
