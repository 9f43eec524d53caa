/**
 * Text made safe for XML content and for quoted attributes: the five markup characters as entities, newlines
 * in attributes kept as `&#10;` (attribute-value normalisation would turn them into spaces, XML 1.0 §3.3.3),
 * and characters XML 1.0 cannot carry at all (§2.2) replaced by U+FFFD.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/[<>&"'\n]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;', '\n': '&#10;' })[c]!);
}
