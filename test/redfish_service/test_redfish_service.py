#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Redfish front end through nginx (TLS, HTTP Basic in nginx) with PLC (emulator), IPMI
(ipmi_sim) and Redfish (rf_server.py) boards, driven by the real Redfish clients of Debian:
redfishtool and python3-sushy. After every write the OpenDCRE API and the simulator's or
server's own state show the change. Then the protocol: authentication where the snippet
requires it, ETag/If-Match (412), 405 with Allow, the Redfish error bodies with their Base
MessageIds for bad input, a body over the limit, a reset of a board without power control; a
refused request changes nothing; a change writes the audit line with the web server's user.
Exit 0 pass, 1 fail, 77 skip (redfishtool, sushy, ipmi_sim, openssl or nginx missing)."""

import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rfsvc  # noqa: E402
from rfsvc import H, RH  # noqa: E402

R = H.Runner('test_redfish_service')


def need():
    if not shutil.which('redfishtool'):
        H.skip('redfishtool is not installed (apt-get install redfishtool)')
    try:
        import sushy  # noqa: F401
    except ImportError:
        H.skip('python3-sushy is not installed (apt-get install python3-sushy)')


class Tests:
    def __init__(self, s):
        self.s = s
        self.env = dict(os.environ, REQUESTS_CA_BUNDLE=s.certs['ca'])
        self.rf_board = RH.Board('single', s.ids['redfish'], [], [])

    # ---- helpers
    def tool(self, *args):
        cmd = ['redfishtool', '-r', '127.0.0.1:%d' % self.s.port, '-u', rfsvc.USER, '-p', rfsvc.PASSWORD,
               '-S', 'Always', '-T', '60'] + list(args)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, timeout=120)
        assert p.returncode == 0, 'redfishtool %s: rc %d: %s %s' % (' '.join(args), p.returncode,
                                                                     p.stdout[-400:], p.stderr[-400:])
        out = p.stdout.decode()
        try:
            return json.loads(out)
        except ValueError:
            return out

    def sushy(self):
        import sushy
        # requests prefers a CA bundle named in the environment over the session's
        os.environ['REQUESTS_CA_BUNDLE'] = self.s.certs['ca']
        return sushy.Sushy(self.s.base + '/redfish/v1', verify=self.s.certs['ca'],
                           auth=sushy.auth.BasicAuth(rfsvc.USER, rfsvc.PASSWORD))

    def api(self, what, board, dev, action=None):
        path = '/opendcre/1.3/%s/%s/%s/%s' % (what, self.s.racks[board], board, dev)
        if action:
            path += '/' + action
        st, doc = self.s.api(path)
        assert st == 200, (path, st, doc)
        return doc

    def power_now(self, kind):
        b = self.s.ids[kind]
        dev = '0006' if kind == 'plc' else '0100'
        return self.api('power', b, dev)['power_status']

    def rf_system(self):
        return self.s.srv.resource(self.rf_board.system)

    def rf_chassis(self):
        return self.s.srv.resource(self.rf_board.chassis)

    def error(self, method, path, status, message_id, body=None, raw=None, headers=None):
        st, hd, data = self.s.request(method, path, body=body, raw=raw, headers=headers)
        assert st == status, '%s %s: status %d, expected %d: %r' % (method, path, st, status, data[:300])
        doc = json.loads(data)
        err = doc['error']
        assert err['code'] == 'Base.1.22.' + message_id, err
        ids = [m['MessageId'] for m in err['@Message.ExtendedInfo']]
        assert ids == ['Base.1.22.' + message_id], ids
        assert err['message'], err
        assert hd.get('odata-version') == '4.0', hd
        return doc, hd

    # ---- redfishtool
    def redfishtool(self):
        s = self.s
        c = R.check
        def listed():
            out = self.tool('Systems', 'list')
            text = out if isinstance(out, str) else json.dumps(out)
            for k in ('plc', 'ipmi', 'redfish'):
                assert s.ids[k] in text, (k, text[:500])
        c('redfishtool Systems list: the PLC, IPMI and Redfish boards', listed)

        def chassis():
            out = self.tool('Chassis', 'list')
            text = out if isinstance(out, str) else json.dumps(out)
            for rack in (rfsvc.PLC_RACK, rfsvc.IPMI_RACK, rfsvc.RF_RACK, rfsvc.PLC_BARE):
                assert rack in text, (rack, text[:500])
        c('redfishtool Chassis list: racks and boards', chassis)

        def thermal_power():
            for kind in ('plc', 'ipmi', 'redfish'):
                th = self.tool('Chassis', '-I', s.ids[kind], 'Thermal')
                assert th['Temperatures'] and all('ReadingCelsius' in t for t in th['Temperatures']), th
                pw = self.tool('Chassis', '-I', s.ids[kind], 'Power')
                assert pw['PowerControl'], pw
            th = self.tool('Chassis', '-I', s.ids['plc'], 'Thermal')
            want = self.api('read/thermistor', s.ids['plc'], '0001')['temperature_c']
            assert th['Temperatures'][0]['ReadingCelsius'] == want, (th, want)
        c('redfishtool Chassis Thermal and Power of each board; PLC temperature = OpenDCRE read',
          thermal_power)

        def reset(kind):
            b = s.ids[kind]
            self.tool('Systems', '-I', b, 'reset', 'ForceOff')
            assert self.power_now(kind) == 'off', self.power_now(kind)
            assert self.tool('Systems', '-I', b)['PowerState'] == 'Off'
            if kind == 'ipmi':
                assert s.sim.state('power') == '0', s.sim.state('power')
            if kind == 'redfish':
                assert self.rf_system()['PowerState'] == 'Off', self.rf_system()['PowerState']
            self.tool('Systems', '-I', b, 'reset', 'On')
            assert self.power_now(kind) == 'on'
            if kind == 'ipmi':
                assert s.sim.state('power') == '1'
            if kind == 'redfish':
                assert self.rf_system()['PowerState'] == 'On'
        for kind in ('plc', 'ipmi', 'redfish'):
            c('redfishtool reset ForceOff then On: %s board (OpenDCRE power status, device state)' % kind,
              reset, kind)

        def led(kind):
            b = s.ids[kind]
            dev = '0005' if kind == 'plc' else '0300'
            self.tool('Chassis', '-I', b, 'setIndicatorLed', 'Lit')
            if kind == 'plc':
                assert self.api('led', b, dev)['led_state'] == 'on'
                assert self.tool('Chassis', '-I', b)['IndicatorLED'] == 'Lit'
            elif kind == 'ipmi':
                # ipmi_sim does not report identify back (test/ipmi): its state file shows it
                assert s.sim.state('identify').split()[:2] == ['0', '1'], s.sim.state('identify')
            else:
                assert self.rf_chassis()['IndicatorLED'] == 'Lit', self.rf_chassis()
                assert self.api('led', b, dev)['led_state'] == 'on'
            self.tool('Chassis', '-I', b, 'setIndicatorLed', 'Off')
            if kind == 'plc':
                assert self.api('led', b, dev)['led_state'] == 'off'
            elif kind == 'ipmi':
                assert s.sim.state('identify').split()[:2] == ['0', '0'], s.sim.state('identify')
            else:
                assert self.rf_chassis()['IndicatorLED'] == 'Off'
        for kind in ('plc', 'ipmi', 'redfish'):
            c('redfishtool setIndicatorLed Lit, Off: %s board' % kind, led, kind)

        def boot(kind):
            b = s.ids[kind]
            dev = '0007' if kind == 'plc' else '0200'
            self.tool('Systems', '-I', b, 'setBootOverride', 'Once', 'Pxe')
            if kind == 'ipmi':
                assert s.sim.state('boot') == 'pxe', s.sim.state('boot')
            else:
                assert self.api('boot_target', b, dev)['target'] == 'pxe'
                assert self.tool('Systems', '-I', b)['Boot']['BootSourceOverrideTarget'] == 'Pxe'
            if kind == 'redfish':
                assert self.rf_system()['Boot']['BootSourceOverrideTarget'] == 'Pxe'
        for kind in ('plc', 'ipmi', 'redfish'):
            c('redfishtool setBootOverride Once Pxe: %s board' % kind, boot, kind)

    # ---- sushy
    def sushy_ops(self):
        s = self.s
        c = R.check

        def system(kind):
            import sushy
            conn = self.sushy()
            sysobj = conn.get_system('/redfish/v1/Systems/' + s.ids[kind])
            assert sysobj.power_state == sushy.POWER_STATE_ON, sysobj.power_state
            allowed = sysobj.get_allowed_reset_system_values()
            assert set(allowed) == {sushy.RESET_TYPE_ON, sushy.RESET_TYPE_FORCE_OFF,
                                    sushy.RESET_TYPE_POWER_CYCLE}, allowed
            sysobj.reset_system(sushy.RESET_TYPE_FORCE_OFF)
            assert self.power_now(kind) == 'off'
            sysobj.refresh()
            assert sysobj.power_state == sushy.POWER_STATE_OFF, sysobj.power_state
            sysobj.reset_system(sushy.RESET_TYPE_ON)
            assert self.power_now(kind) == 'on'
            sysobj.refresh()
            sysobj.set_system_boot_options(target=sushy.BOOT_SOURCE_TARGET_HDD,
                                           enabled=sushy.BOOT_SOURCE_ENABLED_ONCE)
            if kind == 'ipmi':
                assert s.sim.state('boot') == 'default', s.sim.state('boot')
            else:
                dev = '0007' if kind == 'plc' else '0200'
                assert self.api('boot_target', s.ids[kind], dev)['target'] == 'hdd'
            sysobj.refresh()
            sysobj.set_system_boot_options(enabled=sushy.BOOT_SOURCE_ENABLED_DISABLED)
            if kind == 'ipmi':
                assert s.sim.state('boot') == 'none', s.sim.state('boot')
            else:
                assert self.api('boot_target', s.ids[kind], dev)['target'] == 'no_override'
        for kind in ('plc', 'ipmi', 'redfish'):
            c('sushy get_system, reset_system off/on, set_system_boot_options hdd/disabled: %s' % kind,
              system, kind)

        def chassis(kind):
            conn = self.sushy()
            ch = conn.get_chassis('/redfish/v1/Chassis/' + s.ids[kind])
            temps = ch.thermal.temperatures
            assert temps and any(t.reading_celsius is not None for t in temps), temps
            want = s.get('/redfish/v1/Chassis/%s/Thermal' % s.ids[kind])[1]['Temperatures']
            assert [t.reading_celsius for t in temps] == [t['ReadingCelsius'] for t in want]
            assert ch.thermal.fans, 'no fans'
            # sushy 4.3 reads the power supplies of Power (not PowerControl)
            assert ch.power.power_supplies, 'no power supplies'
        for kind in ('plc', 'ipmi', 'redfish'):
            c('sushy chassis thermal (temperatures, fans) and power (power supplies): %s' % kind,
              chassis, kind)

    # ---- protocol
    def protocol(self):
        s = self.s
        c = R.check
        plc = s.ids['plc']
        ch = '/redfish/v1/Chassis/' + plc
        sysp = '/redfish/v1/Systems/' + plc
        reset = sysp + '/Actions/ComputerSystem.Reset'

        def auth():
            for p in ('/redfish', '/redfish/v1', '/redfish/v1/', '/redfish/v1/$metadata', '/redfish/v1/odata'):
                st, hd, _ = s.request('GET', p, auth=False)
                assert st == 200, (p, st)
            for p in ('/redfish/v1/Chassis', ch, '/redfish/v1/Systems', '/redfish/v1/SessionService'):
                st, hd, body = s.request('GET', p, auth=False)
                assert st == 401, (p, st)
                assert json.loads(body)['error']['code'] == 'Base.1.22.NoValidSession', body
            st, _, _ = s.request('POST', reset, body={'ResetType': 'ForceOff'}, auth=False)
            assert st == 401 and self.power_now('plc') == 'on'
        c('without credentials: service root, /redfish, $metadata, odata 200; the rest 401 '
          '(Redfish body); an unauthenticated reset changes nothing', auth)

        def headers():
            for p in ('/redfish/v1/', ch, sysp, ch + '/Thermal'):
                st, hd, _ = s.request('GET', p)
                assert st == 200 and hd.get('odata-version') == '4.0' and hd.get('etag', '').startswith('"'), \
                    (p, st, hd)
                assert hd.get('allow'), hd
            st, hd, body = s.request('HEAD', ch)
            assert st == 200 and body == b'' and hd.get('etag'), (st, hd)
        c('OData-Version 4.0, ETag, Allow on resources; HEAD', headers)

        def etag():
            st, hd, _ = s.request('GET', ch)
            good = hd['etag']
            self.error('PATCH', ch, 412, 'PreconditionFailed', body={'IndicatorLED': 'Lit'},
                       headers={'If-Match': '"0000000000000000"'})
            assert self.api('led', plc, '0005')['led_state'] == 'off', 'the refused PATCH lit the LED'
            st, hd2, body = s.request('PATCH', ch, body={'IndicatorLED': 'Lit'}, headers={'If-Match': good})
            assert st == 200 and json.loads(body)['IndicatorLED'] == 'Lit', (st, body)
            assert self.api('led', plc, '0005')['led_state'] == 'on'
            assert hd2['etag'] != good, 'the ETag did not change with the LED'
            st, _, body = s.request('PATCH', ch, body={'LocationIndicatorActive': False})
            assert st == 200 and json.loads(body)['LocationIndicatorActive'] is False, body
            assert self.api('led', plc, '0005')['led_state'] == 'off'
        c('PATCH with a stale If-Match: 412 PreconditionFailed, LED unchanged; with the ETag: 200; '
          'LocationIndicatorActive false turns it off', etag)

        def methods():
            _, hd = self.error('DELETE', '/redfish/v1/Systems', 405, 'OperationNotAllowed')
            assert hd['allow'] == 'GET, HEAD', hd
            _, hd = self.error('GET', reset, 405, 'OperationNotAllowed')
            assert hd['allow'] == 'POST', hd
            _, hd = self.error('POST', ch, 405, 'OperationNotAllowed', body={})
            assert hd['allow'] == 'GET, HEAD, PATCH', hd
        c('405 OperationNotAllowed with Allow: DELETE of a collection, GET of an action, POST of a chassis',
          methods)

        def bad_input():
            doc, _ = self.error('GET', '/redfish/v1/Chassis/0badb0a7', 404, 'ResourceNotFound')
            assert doc['error']['@Message.ExtendedInfo'][0]['MessageArgs'] == ['Chassis', '0badb0a7'], doc
            self.error('GET', '/redfish/v1/Nothing/here', 404, 'ResourceNotFound')
            self.error('GET', ch + '/Sensors/0fff', 404, 'ResourceNotFound')
            self.error('PATCH', ch, 400, 'PropertyUnknown', body={'Colour': 'red'})
            self.error('PATCH', ch, 400, 'PropertyNotWritable', body={'ChassisType': 'Rack'})
            doc, _ = self.error('PATCH', ch, 400, 'PropertyValueNotInList', body={'IndicatorLED': 'Purple'})
            assert doc['error']['@Message.ExtendedInfo'][0]['MessageArgs'] == ['Purple', 'IndicatorLED'], doc
            self.error('PATCH', ch, 400, 'PropertyValueTypeError', body={'LocationIndicatorActive': 'yes'})
            self.error('PATCH', sysp, 400, 'PropertyValueNotInList',
                       body={'Boot': {'BootSourceOverrideTarget': 'Floppy'}})
            self.error('PATCH', sysp, 400, 'PropertyValueNotInList',
                       body={'Boot': {'BootSourceOverrideEnabled': 'Continuous',
                                      'BootSourceOverrideTarget': 'Hdd'}})
            self.error('PATCH', ch, 400, 'MalformedJSON', raw=b'{"IndicatorLED": "Lit"')
            self.error('PATCH', ch, 400, 'MalformedJSON', raw=b'["IndicatorLED"]')
            self.error('POST', reset, 400, 'MalformedJSON', raw=b'ResetType=On')
            self.error('POST', reset, 400, 'ActionParameterMissing', body={})
            doc, _ = self.error('POST', reset, 400, 'ActionParameterValueNotInList',
                                body={'ResetType': 'GracefulRestart'})
            assert doc['error']['@Message.ExtendedInfo'][0]['MessageArgs'] == \
                ['GracefulRestart', 'ResetType', 'ComputerSystem.Reset'], doc
            self.error('POST', reset, 400, 'ActionParameterUnknown', body={'ResetType': 'On', 'Delay': 3})
            self.error('POST', reset, 400, 'ActionParameterValueTypeError', body={'ResetType': 1})
            big = json.dumps({'ResetType': 'ForceOff', 'pad': 'x' * (70 * 1024)}).encode()
            self.error('POST', reset, 413, 'PayloadTooLarge', raw=big)
            self.error('POST', '/redfish/v1/Systems/%s/Actions/ComputerSystem.Reset' % rfsvc.PLC_BARE, 400,
                       'ActionNotSupported', body={'ResetType': 'ForceOff'})
            doc, _ = self.error('POST', '/redfish/v1/SessionService/Sessions', 405, 'OperationNotAllowed',
                                body={'UserName': 'admin', 'Password': 'x'})
            assert 'web server' in doc['error']['message'], doc
            # nothing changed
            assert self.power_now('plc') == 'on'
            assert self.api('led', plc, '0005')['led_state'] == 'off'
            assert self.api('boot_target', plc, '0007')['target'] == 'no_override'
        c('error bodies and MessageIds: unknown resource, unknown/read-only property, value not in list, '
          'wrong type, malformed JSON, missing/unknown/bad action parameter, body over 64 KiB (413), reset '
          'of a board without power control, login POST; nothing changed', bad_input)

        def unknown_is_null():
            st, doc, _ = s.get('/redfish/v1/Chassis/%s/Power' % s.ids['ipmi'])
            # ipmi_sim has no DCMI: the consumed power is unknown, so null (not 0)
            assert doc['PowerControl'][0]['PowerConsumedWatts'] is None, doc['PowerControl']
        c('an unknown reading is null, never 0 (IPMI PowerConsumedWatts without DCMI)', unknown_is_null)

        def sessions():
            st, doc, _ = s.get('/redfish/v1/SessionService/Sessions')
            assert st == 200 and doc['Members'] == [] and doc['Members@odata.count'] == 0, doc
            st, doc, _ = s.get('/redfish/v1/Managers/opendcre')
            assert doc['FirmwareVersion'] and doc['ManagerType'] == 'Service', doc
        c('an empty Sessions collection; the service manager with its version', sessions)

        def audit():
            log = s.service_log()
            want = ('audit: user=%s method=POST route=/redfish/v1/Systems/%s/Actions/ComputerSystem.Reset '
                    'board=%s' % (rfsvc.USER, plc, plc))
            assert want in log, want
            assert 'audit: user=%s method=PATCH route=/redfish/v1/Chassis/%s board=%s device=- outcome=200' \
                % (rfsvc.USER, plc, plc) in log
            assert 'method=PATCH route=/redfish/v1/Chassis/%s board=%s device=- outcome=412 PreconditionFailed' \
                % (plc, plc) in log
            assert 'method=GET route=/redfish' not in log, 'a read was audited'
        c('audit lines with the web server user for Redfish changes (and refusals), none for reads', audit)


def main():
    need()
    s = rfsvc.Setup('rfsvc')
    try:
        s.start()
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001
        R.fail('start', e)
        s.stop()
        R.finish()
    t = Tests(s)
    try:
        t.protocol()
        t.redfishtool()
        t.sushy_ops()
    finally:
        R.harness_problems(s.stop())
    R.finish()


if __name__ == '__main__':
    main()
