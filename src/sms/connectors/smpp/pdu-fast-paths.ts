/**
 * node-smpp's PDU encoder and decoder, made cheaper without changing a byte
 * (issue 18). Its `toBuffer`, `fromBuffer` and `_filter` walk every
 * enumerable property of the PDU with `for…in` — the fields, the unknown TLVs
 * and the prototype's six methods — and look each name up in the command's
 * parameter table and the TLV table, up to three times an encode; on the
 * receipts path that was ~4 % of the daemon's main thread. Here the tables
 * are read once per command: which parameters and TLVs have a filter that
 * does anything (the short_message / message_payload filters are identities
 * since smpp-lib.ts), in what order the parameters go on the wire
 * (SMPP 3.4 §4), and the TLVs follow in the order they were set, as before.
 *
 * What stays the same, on purpose: a parameter missing from the PDU is not
 * counted in command_length but still written (node-smpp's behaviour; PDUs
 * it makes itself always carry every parameter); the filters run for the
 * fields present only; unknown TLVs read from the wire are kept as Buffers
 * under their numeric tag and not written back. The unit test checks both
 * implementations byte for byte and field for field.
 */

/** The parts of node-smpp's internals (lib/defs.js, lib/pdu.js) the fast paths read. */
interface FieldType {
  read(buffer: Buffer, offset: number, length?: number): unknown;
  write(value: unknown, buffer: Buffer, offset: number): void;
  size(value: unknown): number;
}
interface Filter {
  encode(this: PduFields, value: unknown, skipUdh?: unknown): unknown;
  decode(this: PduFields, value: unknown, skipUdh?: unknown): unknown;
}
interface ParamDef {
  type: FieldType;
  filter?: Filter;
}
interface TlvDef {
  id: number;
  tag: string;
  type: FieldType;
  multiple?: boolean;
  filter?: Filter;
}
interface CommandDef {
  id: number;
  command: string;
  params?: Record<string, ParamDef>;
  tlvMap?: Record<string, string>;
}
type PduFields = Record<string | number, unknown> & {
  command: string;
  command_length: number;
  command_id: number;
  command_status: number;
  sequence_number: number;
  _initBuffer(): Buffer;
  _filter(func: 'encode' | 'decode'): void;
};
interface PduPrototype {
  fromBuffer(this: PduFields, buffer: Buffer): void;
  toBuffer(this: PduFields): Buffer;
  _filter(this: PduFields, func: 'encode' | 'decode'): void;
  _initBuffer(this: PduFields): Buffer;
}
export interface SmppInternals {
  commands: Record<string, CommandDef>;
  tlvs: Record<string, TlvDef>;
  PDU: { prototype: PduPrototype; maxLength: number };
}

const HEADER_OCTETS = 16;

/** A command's parameter table, read once. */
interface CommandPlan {
  params: Record<string, ParamDef>;
  /** The parameters in wire order. */
  order: [string, FieldType][];
  /** The parameters whose filter changes anything. */
  filtered: [string, Filter][];
  tlvMap: Record<string, string>;
}

type FilteredTlv = TlvDef & { filter: Filter };

/** node-smpp's tables, read once. */
interface Tables {
  smpp: SmppInternals;
  commandsById: Map<number, string>;
  tlvById: Map<number, TlvDef>;
  /** The TLVs whose filter changes anything. */
  filteredTlvs: [string, FilteredTlv][];
  planOf(command: string): CommandPlan;
}

export function installFastPduPaths(smpp: SmppInternals, identityFilters: ReadonlySet<unknown>): void {
  const tables = readTables(smpp, identityFilters);
  const proto = smpp.PDU.prototype;
  // The fast paths skip the prototype's own enumerable names, which for…in visited: none may be a field name.
  for (const key in proto) {
    if (key in smpp.tlvs || Object.values(smpp.commands).some((c) => key in (c.params ?? {}))) throw new Error(`smpp PDU.prototype.${key} is also a PDU field`);
  }
  proto._filter = filterFields(tables);
  proto.toBuffer = encode(tables);
  proto.fromBuffer = decode(tables);
}

function readTables(smpp: SmppInternals, identityFilters: ReadonlySet<unknown>): Tables {
  const commandsById = new Map<number, string>();
  const plans = new Map<string, CommandPlan>();
  const changes = (filter: unknown): boolean => filter !== undefined && !identityFilters.has(filter);
  for (const [name, def] of Object.entries(smpp.commands)) {
    commandsById.set(def.id, name);
    const params = def.params ?? {};
    plans.set(name, {
      params,
      order: Object.entries(params).map(([key, p]) => [key, p.type]),
      filtered: Object.entries(params).flatMap(([key, p]): [string, Filter][] => (changes(p.filter) ? [[key, p.filter!]] : [])),
      tlvMap: def.tlvMap ?? {},
    });
  }
  const none: CommandPlan = { params: {}, order: [], filtered: [], tlvMap: {} };
  return {
    smpp,
    commandsById,
    tlvById: new Map(Object.values(smpp.tlvs).map((t) => [t.id, t])),
    filteredTlvs: Object.entries(smpp.tlvs).flatMap(([key, t]): [string, FilteredTlv][] => (changes(t.filter) ? [[key, t as FilteredTlv]] : [])),
    planOf: (command) => plans.get(command) ?? none,
  };
}

/** PDU.prototype._filter: the fields' encode or decode filters (SMPP times, callback numbers, broadcast fields). */
function filterFields({ filteredTlvs, planOf }: Tables): PduPrototype['_filter'] {
  return function filter(this: PduFields, func: 'encode' | 'decode'): void {
    const { params, filtered } = planOf(this.command);
    for (const [key, f] of filtered) if (key in this) this[key] = f[func].call(this, this[key]);
    for (const [key, tlv] of filteredTlvs) {
      // As for…in did: a name that is also one of the command's parameters takes the parameter's filter, if it has one.
      if (!(key in this) || params[key]?.filter) continue;
      if (tlv.multiple) {
        const values = this[key] as unknown[];
        for (let i = 0; i < values.length; i++) values[i] = tlv.filter[func].call(this, values[i], true);
      } else if (key === 'message_payload') {
        const short = this['short_message'] as { message?: { length?: number } } | undefined;
        this[key] = tlv.filter[func].call(this, this[key], short && short.message && short.message.length);
      } else {
        this[key] = tlv.filter[func].call(this, this[key], true);
      }
    }
  };
}

/** PDU.prototype.toBuffer: header, mandatory parameters in the command's order (SMPP 3.4 §4), then the TLVs as set (§3.3). */
function encode({ smpp, planOf }: Tables): PduPrototype['toBuffer'] {
  const { tlvs } = smpp;
  const isTlv = (key: string, params: Record<string, ParamDef>): boolean => Object.prototype.hasOwnProperty.call(tlvs, key) && !(key in params);
  const valuesOf = (pdu: PduFields, key: string): unknown[] => (tlvs[key]!.multiple ? (pdu[key] as unknown[]) : [pdu[key]]);
  return function toBuffer(this: PduFields): Buffer {
    this.command_length = HEADER_OCTETS;
    if (this.command_status) return this._initBuffer();
    this._filter('encode');
    const { params, order } = planOf(this.command);
    let length = HEADER_OCTETS;
    for (const [key, type] of order) if (key in this) length += type.size(this[key]);
    const tlvKeys = Object.keys(this).filter((key) => isTlv(key, params));
    for (const key of tlvKeys) for (const value of valuesOf(this, key)) length += tlvs[key]!.type.size(value) + 4;
    this.command_length = length;
    const buffer = this._initBuffer();
    let offset = HEADER_OCTETS;
    for (const [key, type] of order) {
      type.write(this[key], buffer, offset);
      offset += type.size(this[key]);
    }
    for (const key of tlvKeys) {
      const tlv = tlvs[key]!;
      for (const value of valuesOf(this, key)) {
        buffer.writeUInt16BE(tlv.id, offset);
        const size = tlv.type.size(value);
        buffer.writeUInt16BE(size, offset + 2);
        tlv.type.write(value, buffer, offset + 4);
        offset += 4 + size;
      }
    }
    return buffer;
  };
}

/** PDU.prototype.fromBuffer: the header (SMPP 3.4 §3.2), the parameters while octets remain, then the TLVs. */
function decode({ smpp, commandsById, tlvById, planOf }: Tables): PduPrototype['fromBuffer'] {
  return function fromBuffer(this: PduFields, buffer: Buffer): void {
    this.command_length = buffer.readUInt32BE(0);
    this.command_id = buffer.readUInt32BE(4);
    this.command_status = buffer.readUInt32BE(8);
    this.sequence_number = buffer.readUInt32BE(12);
    if (this.command_length > smpp.PDU.maxLength) {
      throw Error('PDU length was too large (' + this.command_length + ', maximum is ' + smpp.PDU.maxLength + ').');
    }
    const command = commandsById.get(this.command_id);
    if (command === undefined) {
      this.command = 'unknown';
      return;
    }
    this.command = command;
    const { order, tlvMap } = planOf(command);
    let offset = HEADER_OCTETS;
    for (const [key, type] of order) {
      if (offset >= this.command_length) break;
      const value = type.read(buffer, offset);
      this[key] = value;
      offset += type.size(value);
    }
    while (offset + 4 <= this.command_length) {
      const tlvId = buffer.readUInt16BE(offset);
      const length = buffer.readUInt16BE(offset + 2);
      offset += 4;
      const tlv = tlvById.get(tlvId);
      if (!tlv) {
        this[tlvId] = buffer.slice(offset, offset + length);
      } else if (tlv.multiple) {
        const tag = tlvMap[tlv.tag] || tlv.tag;
        ((this[tag] ??= []) as unknown[]).push(tlv.type.read(buffer, offset, length));
      } else {
        this[tlvMap[tlv.tag] || tlv.tag] = tlv.type.read(buffer, offset, length);
      }
      offset += length;
    }
    this._filter('decode');
  };
}
