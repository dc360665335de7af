// Parses XML (an SVG image) with jsdom's DOMParser and returns its root element; throws
// on a document that is not well-formed (jsdom reports it as a <parsererror> element).
import { JSDOM } from "jsdom";

const { DOMParser } = new JSDOM("").window;

export function parseXml(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const error = doc.getElementsByTagName("parsererror")[0];
  if (error !== undefined) throw new Error(`not well-formed XML: ${error.textContent}`);
  return doc.documentElement;
}
