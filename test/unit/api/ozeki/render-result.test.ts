import { XMLBuilder } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { OzekiCode, renderOzekiResult } from '../../../../src/api/ozeki/xml.js';

// The builder Ozeki's results were written with before (src/api/ozeki/xml.ts), with the same options.
const builder = new XMLBuilder({ format: false, ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });
const NAMESPACES = { '@_xmlns:xsd': 'http://www.w3.org/2001/XMLSchema', '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance' };

/** The result as the generic builder writes the merged object. */
function reference(root: string, code: OzekiCode, message: string, extra: Record<string, unknown>): string {
  return `<?xml version="1.0"?>\n${builder.build({ [root]: { ...NAMESPACES, Code: code.code, Message: message, ...extra } }) as string}`;
}

describe('renderOzekiResult', () => {
  it('writes what the generic builder writes, for plain results and for extras that change the merged object', () => {
    const extras: Array<Record<string, unknown>> = [
      {},
      { Data: { SmsId: '019aef12-3456-7abc-8def-0123456789ab' } },
      { Detail: 'bad <sender> & "more"' },
      { ActiveCalls: { Call: [{ CallId: 'c1', Caller: '100', Duration: 12 }] } },
      { TotalRecords: 2, Names: { Name: ['a', 'b & c', ''] }, Empty: null, Skipped: undefined },
      // These go through the merged object: an attribute, text, or a Code/Message of their own.
      { '@_extra': 'x' },
      { '#text': 'loose & text' },
      { Message: 'replaced', Detail: 'd' },
      { Detail: 'd', Code: 999 },
    ];
    for (const [command, root] of [
      ['SendSms', 'OzApi_CommandResult_SendSms'],
      [null, 'OzApi_CommandResult'],
      ['bad name!', 'OzApi_CommandResult'],
    ] as const) {
      for (const extra of extras) {
        for (const message of ['Command successfully executed', "Missing or invalid parameter 'Sender' for command 'SendSms'", 'a < b']) {
          expect(renderOzekiResult(command, OzekiCode.Ok, message, extra)).toBe(reference(root, OzekiCode.Ok, message, extra));
        }
      }
    }
  });

  it('writes every command’s own root, however many different names requests bring', () => {
    for (let i = 0; i < 150; i++) {
      const command = `Command${i}`;
      expect(renderOzekiResult(command, OzekiCode.Ok, 'ok')).toBe(reference(`OzApi_CommandResult_${command}`, OzekiCode.Ok, 'ok', {}));
    }
    expect(renderOzekiResult('SendSms', OzekiCode.Ok, 'ok')).toBe(reference('OzApi_CommandResult_SendSms', OzekiCode.Ok, 'ok', {}));
  });
});
