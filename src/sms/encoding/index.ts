/**
 * Text encoding for SMS: GSM 03.38 (3GPP TS 23.038) default alphabet with its
 * extension table, UCS-2, and the segment planner. Imports nothing of ours.
 * (Being implemented: see the exports below for the contract.)
 */
export type SmsEncoding = 'gsm7' | 'ucs2';
export type ConcatMode = 'udh8' | 'udh16' | 'sar' | 'payload';
