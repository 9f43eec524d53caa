import { describe, expect, it } from 'vitest';
import { decodeUtf8, parseQuery, parseUrlEncoded } from '../../../../src/api/http/request-params.js';
import { AppError } from '../../../../src/shared/errors.js';

describe('request parameters', () => {
  it('matches names case-insensitively and decodes + and %2b', () => {
    const params = parseQuery('/api?COMMAND=SendSms&recipient=%2b0615546670&message=Hello+world');
    expect(params.get('Command')).toBe('SendSms');
    expect(params.get('Recipient')).toBe('+0615546670');
    expect(params.get('Message')).toBe('Hello world');
  });

  it('returns the first alias present (DeliveryReportURL / DelivaryReportURL)', () => {
    const params = parseUrlEncoded('DelivaryReportURL=http%3A%2F%2Fapp%2Fdr');
    expect(params.get('DeliveryReportURL', 'DelivaryReportURL')).toBe('http://app/dr');
  });

  it('refuses %-escapes that are not UTF-8', () => {
    expect(() => parseUrlEncoded('Message=%C3%28')).toThrowError(AppError);
    expect(() => parseUrlEncoded('Message=%E0%A4')).toThrowError(/invalid UTF-8/);
  });

  it('refuses a body whose raw bytes are not UTF-8', () => {
    expect(() => decodeUtf8(Buffer.from([0x4d, 0x3d, 0xff, 0xfe]))).toThrowError(/not valid UTF-8/);
    expect(decodeUtf8(Buffer.from('Message=árvíztűrő', 'utf8'))).toBe('Message=árvíztűrő');
  });
});
