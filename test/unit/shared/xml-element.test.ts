import { XMLBuilder } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { escapeMarkup, xmlElement } from '../../../src/shared/xml-element.js';

// The builder Ozeki's results were written with before (src/api/ozeki/xml.ts), with the same options.
const builder = new XMLBuilder({ format: false, ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });
const NAMESPACES = { '@_xmlns:xsd': 'http://www.w3.org/2001/XMLSchema', '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance' };
const TEXTS = ['', 'plain', 'a & b < c > d " e \' f', '&amp;', 'ü€😀 Árvíztűrő', 'line\nbreak\ttab', ' lead  trail ', '\u0001ctrl', 'http://x/cb?a=1&b=2'];

describe('xmlElement', () => {
  it('writes what XMLBuilder writes for every shape an Ozeki result has', () => {
    const results: Array<Record<string, unknown>> = [
      { Code: 200, Message: 'Command successfully executed', SmsId: '01JF0Q8Z3K7N2M4P6R8T0V2X4Y' },
      { Code: 302, Message: "Missing or invalid parameter 'Sender' for command 'SendSms'", Detail: 'bad <sender> & "more"' },
      {
        Code: 200,
        Message: 'ok',
        TotalRecords: 2,
        Contacts: {
          Contact: [
            { Name: 'Anna', Number: '+36301234567', Note: null },
            { Name: "O'Brien", Number: '' },
          ],
        },
      },
      { Code: 200, Message: 'ok', TotalRecords: 3, Names: { Name: ['a', 'b & c', ''] } },
      { Code: 200, Message: 'ok', ActiveCalls: '' },
      { Code: 200, Message: 'ok', ActiveCalls: { Call: [{ CallId: 'c1', Caller: '100', Callee: '200', Duration: 12, Started: '2026-12-03 04:00:00' }] } },
      { Code: 200, Message: 'ok', data: { acceptreport: [{ statuscode: 0, statustext: 'Message accepted for delivery', messageid: 'm1', recipient: '+36' }] } },
      { Code: 200, Message: 'ok', totalrecords: '0', data: '' },
      { Code: 200, Message: 'ok', Flags: { '@_on': true, '@_off': false, '@_gone': null, '@_n': 0, '@_t': 'a"b', '#text': 'x & y' } },
      { Code: 200, Message: 'ok', Empty: {}, None: [], Skipped: undefined, Yes: true, No: false, Zero: 0 },
      ...TEXTS.map((text) => ({ Code: 200, Message: text, Detail: { '@_why': text, '#text': text } })),
    ];
    for (const extra of results) {
      const root = { ...NAMESPACES, ...extra };
      expect(xmlElement('OzApi_CommandResult_SendSms', root)).toBe(builder.build({ OzApi_CommandResult_SendSms: root }) as string);
    }
  });

  it('escapes the five XML entities and leaves other text as it is', () => {
    expect(escapeMarkup(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(escapeMarkup('ü€😀 plain')).toBe('ü€😀 plain');
    // The same text twice in a row: no state carried over between calls.
    expect(escapeMarkup('a&b')).toBe('a&amp;b');
    expect(escapeMarkup('a&b')).toBe('a&amp;b');
  });

  it('writes null as an empty element and undefined as nothing', () => {
    expect(xmlElement('R', { A: null, B: undefined, C: [1, 2] })).toBe('<R><A/><C>1</C><C>2</C></R>');
  });
});
