// The few DOM helpers the panel's modules share: elements by id, HTML escaping for the markup
// built as text, and SVG elements with their attributes.

const SVG = 'http://www.w3.org/2000/svg';

/** The element with this id; the page's markup (src/shared/panelMarkup.ts) always has it. */
export function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing`);
  return element;
}

/** Text made safe to put inside markup or an attribute value. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A new SVG element with these attributes, appended to `parent` if given. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  parent?.appendChild(element);
  return element;
}
