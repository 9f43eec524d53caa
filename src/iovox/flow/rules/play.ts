/** `<play id label>` with `<textToSpeech textToSpeak voice/>` items (the SMS READ OUT flow of IOVOX's SMS API v3 reference). */
import { IovoxFlowError } from '../flow-error.js';
import { attribute, type FlowElement } from '../flow-xml.js';
import type { PlayRule, TextToSpeech } from '../flow.js';
import { ruleIdentity } from './rule-identity.js';

export function parsePlay(element: FlowElement): PlayRule {
  const { id, label } = ruleIdentity(element);
  const items: TextToSpeech[] = [];
  for (const child of element.children) {
    if (child.name !== 'textToSpeech') throw new IovoxFlowError(`Play Item Invalid: ${child.name}`, child.position, id);
    const textToSpeak = attribute(child, 'textToSpeak');
    if (textToSpeak === null) throw new IovoxFlowError('Text To Speak Empty', child.position, id);
    const voice = attribute(child, 'voice');
    if (voice === null) throw new IovoxFlowError('Voice Empty', child.position, id);
    items.push({ textToSpeak, voice });
  }
  if (items.length === 0) throw new IovoxFlowError('Play Empty', element.position, id);
  return { kind: 'play', id, label, items, position: element.position };
}
