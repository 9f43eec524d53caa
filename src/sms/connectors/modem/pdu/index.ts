export { encodeSubmitPdu, decodeSubmitTpdu, relativeValidity, validityMinutes, type EncodedSubmit, type SubmitPduInput, type DecodedSubmit } from './submit.js';
export { decodePdu, reportOutcome, type DecodedDeliver, type DecodedPdu, type DecodedStatusReport, type ReportOutcome } from './decode.js';
export { decodeAddress, encodeAddress, decodeTimestamp, TOA, type PduAddress } from './semi-octets.js';
export { isSevenBit } from './user-data.js';
export { encodeDeliverPdu, encodeStatusReportPdu, type DeliverPduInput, type StatusReportPduInput } from './network-encode.js';
