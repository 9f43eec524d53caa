/** SMPP 3.4 §5.2.5/5.2.6 type of number and numbering plan, from how an address is written. */

export interface SmppAddress {
  addr: string;
  ton: number;
  npi: number;
}

export const TON = { unknown: 0, international: 1, alphanumeric: 5 } as const;
export const NPI = { unknown: 0, isdn: 1 } as const;

export function smppAddress(value: string, tonOverride: number | 'auto' = 'auto', npiOverride: number | 'auto' = 'auto'): SmppAddress {
  const compact = value.replace(/[\s\-().]/g, '');
  let result: SmppAddress;
  if (/^\+\d+$/.test(compact)) result = { addr: compact.slice(1), ton: TON.international, npi: NPI.isdn };
  else if (/^00\d+$/.test(compact)) result = { addr: compact.slice(2), ton: TON.international, npi: NPI.isdn };
  else if (/^\d+$/.test(compact)) result = { addr: compact, ton: TON.unknown, npi: NPI.isdn };
  else result = { addr: value, ton: TON.alphanumeric, npi: NPI.unknown };
  if (tonOverride !== 'auto') result.ton = tonOverride;
  if (npiOverride !== 'auto') result.npi = npiOverride;
  return result;
}
