/**
 * Text encoding for SMS: GSM 03.38 (3GPP TS 23.038) default alphabet with its
 * extension table, UCS-2, UDH and the segment planner. Imports nothing of ours
 * above src/shared.
 */
export { GSM_ESCAPE, decodeGsm7, encodeGsm7, gsm7CharSeptets, gsm7Septets, isGsm7Encodable, packGsm7, unpackGsm7 } from './gsm7.js';
export { decodeUcs2, encodeUcs2 } from './ucs2.js';
export { IEI_CONCAT_16, IEI_CONCAT_8, buildConcatUdh, parseUdh, type ConcatInfo, type ParsedUdh } from './udh.js';
export { chooseEncoding, estimateSegments, planSegments, type ConcatMode, type PlannedPart, type SegmentPlan, type SmsEncoding } from './planner.js';
export { alphabetOf, decodeShortMessage } from './decode.js';
