/**
 * fast-xml-parser validates a document, then refuses some well-formed ones
 * while parsing: entity and DOCTYPE forms it will not expand (no entity is
 * ever expanded: that is the protection against billion-laughs and external
 * entities), and nesting deeper than MAX_NESTED_TAGS. Those refusals come as
 * plain Errors without a position; this finds where in the document the
 * refused construct is, so each reader can answer in its own format.
 */
export const MAX_NESTED_TAGS = 100;

export interface XmlRefusal {
  message: string;
  line: number;
  column: number;
}

/** Parse with `parse`; a refusal becomes an XmlRefusal (thrown via `fail`) with the position of the construct. */
export function parseOrRefuse<T>(source: string, parse: () => T, fail: (refusal: XmlRefusal) => never): T {
  try {
    return parse();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const offset = /nested/i.test(message) ? deepestTagOffset(source) : Math.max(0, source.search(/<!(DOCTYPE|ENTITY)/i));
    return fail({ message, ...positionOf(source, offset) });
  }
}

function deepestTagOffset(source: string): number {
  let depth = 0;
  const tag = /<(\/?)([A-Za-z_][^\s/>]*)[^>]*?(\/?)>/g;
  for (let match = tag.exec(source); match; match = tag.exec(source)) {
    if (match[1]) depth--;
    else if (!match[3] && ++depth > MAX_NESTED_TAGS) return match.index;
  }
  return 0;
}

function positionOf(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
