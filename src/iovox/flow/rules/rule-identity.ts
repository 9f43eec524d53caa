/** Every rule's `id` and `label` (IOVOX's sendSms rule reference: "Rule ID Empty", "Rule Label Empty"). */
import { IovoxFlowError } from '../flow-error.js';
import { attribute, type FlowElement } from '../flow-xml.js';

export function ruleIdentity(element: FlowElement): { id: string; label: string } {
  const id = attribute(element, 'id');
  if (id === null) throw new IovoxFlowError('Rule ID Empty', element.position);
  const label = attribute(element, 'label');
  if (label === null) throw new IovoxFlowError('Rule Label Empty', element.position, id);
  return { id, label };
}
