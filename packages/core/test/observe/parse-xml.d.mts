/** The part of a DOM element the SVG tests read. */
export interface XmlElement {
  readonly tagName: string;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelectorAll(selectors: string): ArrayLike<XmlElement>;
}

/** The root element of `text`; throws if it is not well-formed XML. */
export function parseXml(text: string): XmlElement;
