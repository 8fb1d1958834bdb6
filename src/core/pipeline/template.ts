// `{placeholder}` templates for the `template` and `number` processors, parsed once per
// pipeline so the per-line cost is one small loop of string concatenation.

export type TemplateValue = 'line' | 'tag' | 'n' | 'file' | 'count';

export interface TemplateValues {
  line: string;
  tag: string;
  n: number;
  file: string;
  count: number;
}

/** Literal text, or the name of a value to insert. */
export type TemplatePart = { text: string } | { value: TemplateValue };

/**
 * Parses a format string. `{{` and `}}` are literal braces; any other brace must be part of
 * a known placeholder. Returns an error message instead of parts when the format is wrong.
 */
export function parseTemplate(format: string, allowed: readonly TemplateValue[]): TemplatePart[] | string {
  const parts: TemplatePart[] = [];
  let text = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i];
    if (ch === '{' && format[i + 1] === '{') {
      text += '{';
      i++;
    } else if (ch === '}' && format[i + 1] === '}') {
      text += '}';
      i++;
    } else if (ch === '{') {
      const close = format.indexOf('}', i);
      if (close === -1) return `unclosed "{" at position ${i} (write "{{" for a literal brace)`;
      const name = format.slice(i + 1, close);
      if (!(allowed as readonly string[]).includes(name)) {
        const list = allowed.map((a) => `{${a}}`).join(', ');
        return `unknown placeholder "{${name}}" (known: ${list}; write "{{" for a literal brace)`;
      }
      if (text) parts.push({ text });
      text = '';
      parts.push({ value: name as TemplateValue });
      i = close;
    } else if (ch === '}') {
      return `unmatched "}" at position ${i} (write "}}" for a literal brace)`;
    } else {
      text += ch;
    }
  }
  if (text) parts.push({ text });
  return parts;
}

export type TemplateRenderer = (values: TemplateValues) => string;

/**
 * Turns parsed parts into one specialised function, e.g. `v => "[" + v.count + "] " + v.line`,
 * so rendering a line is a single string concatenation (this is on the per-line path).
 * Safe to generate: literal text goes through JSON.stringify and value names come from the
 * fixed TemplateValue list, checked by parseTemplate.
 */
export function compileTemplate(parts: readonly TemplatePart[]): TemplateRenderer {
  const terms = parts.map((part) => ('text' in part ? JSON.stringify(part.text) : `v.${part.value}`));
  const body = `return ${terms.length === 0 ? '""' : `"" + ${terms.join(' + ')}`};`;
  let render = compiled.get(body);
  if (!render) {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated on purpose; the body is built only from escaped parts (above)
    render = new Function('v', body) as TemplateRenderer;
    compiled.set(body, render);
  }
  return render;
}

// Every file gets fresh processors, but the same format needs compiling only once.
const compiled = new Map<string, TemplateRenderer>();
