import { describe, expect, it } from 'vitest';
import { cnmiRouting, detectProfile, resolveProfile } from '../../../../../src/sms/connectors/modem/profiles.js';

describe('modem profiles', () => {
  it('picks the profile from what AT+CGMI / AT+CGMM say', () => {
    expect(detectProfile('SIMCOM_Ltd', 'SIMCOM_SIM7600E').name).toBe('simcom');
    expect(detectProfile('', 'SIM800 R14.18').name).toBe('simcom');
    expect(detectProfile('Quectel', 'EC25').name).toBe('quectel');
    expect(detectProfile('huawei', 'E3372').name).toBe('huawei');
    expect(detectProfile('Telit', 'LE910C4-EU').name).toBe('generic');
    expect(resolveProfile('huawei', 'Quectel', 'EC25').name).toBe('huawei'); // configured beats detected
  });

  it('reads what an AT+CNMI setting routes', () => {
    expect(cnmiRouting('2,1,0,2,0')).toEqual({ routesMessages: false, routesReports: false });
    expect(cnmiRouting('2,1,0,1,0')).toEqual({ routesMessages: false, routesReports: true });
    expect(cnmiRouting('2,2,0,1,0')).toEqual({ routesMessages: true, routesReports: true });
    expect(cnmiRouting('2,3,0,0,0')).toEqual({ routesMessages: true, routesReports: false });
  });
});
