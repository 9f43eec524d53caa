/**
 * A call flow that cannot be used, in IOVOX's words: `text` is the reference's
 * error string ("Rule ID Empty", "Sender Invalid", …) and `status` its HTTP
 * code; the message adds where in the document the rule is.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { FlowPosition } from './flow.js';

export class IovoxFlowError extends AppError {
  constructor(
    readonly text: string,
    readonly position: FlowPosition | null = null,
    readonly ruleId: string | null = null,
    readonly status = 400,
  ) {
    const where = [ruleId ? `rule '${ruleId}'` : null, position ? `line ${position.line}, column ${position.column}` : null].filter(Boolean).join(' at ');
    super(ErrorCode.IOVOX_FLOW_INVALID, where ? `${text} (${where})` : text, { protocolStatus: status, details: { text, ruleId, ...position } });
    this.name = 'IovoxFlowError';
  }
}
