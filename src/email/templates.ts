/**
 * E-mail templates: `{{name}}` placeholders filled from a flat set of values;
 * in the HTML part the values are HTML-escaped. Unknown placeholders stay
 * empty rather than leaking template syntax to the reader.
 */
import type { EmailTemplate } from './config.js';

export const DEFAULT_TEMPLATE_NAME = 'default';

export const DEFAULT_TEMPLATE: EmailTemplate = {
  subject: 'SMS {{status}}: {{destination}}',
  text: [
    'SMS to {{contactName}} ({{destination}}) from {{origin}}: {{status}}.',
    '',
    'Message: {{message}}',
    'SMS activity id: {{smsActivityId}}',
    'Time (Europe/London): {{timestamp}}',
    '{{errorText}}',
  ].join('\n'),
};

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string | null;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

function fill(template: string, values: Readonly<Record<string, string>>, escape: (s: string) => string = (s) => s): string {
  return template.replace(PLACEHOLDER, (_, name: string) => escape(values[name] ?? ''));
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function renderEmail(template: EmailTemplate, values: Readonly<Record<string, string>>): RenderedEmail {
  return {
    // A header cannot hold a line break (RFC 5322 §2.2): a value with one must not split the subject.
    subject: fill(template.subject, values).replace(/[\r\n]+/g, ' '),
    text: fill(template.text, values).trimEnd(),
    html: template.html ? fill(template.html, values, escapeHtml) : null,
  };
}

/** The configured templates plus the built-in default (which config may override). */
export function templateSet(configured: Readonly<Record<string, EmailTemplate>>): ReadonlyMap<string, EmailTemplate> {
  return new Map<string, EmailTemplate>([[DEFAULT_TEMPLATE_NAME, DEFAULT_TEMPLATE], ...Object.entries(configured)]);
}
