// A small, strict, namespace-aware XML parser for WebDAV bodies: no DOCTYPE, no entities beyond the five built-in ones, bounded depth and size.
import { DavError } from './davError';

export interface XmlElement {
  ns: string;
  name: string;
  /** Attributes without a namespace prefix (WebDAV's own never have one), by local name. */
  attrs: Record<string, string>;
  /** Attributes with a namespace: [ns, local name, value]. */
  nsAttrs: [string, string, string][];
  children: (XmlElement | string)[];
}

export const MAX_DEPTH = 64;
export const MAX_ELEMENTS = 20_000;

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const NAME = /^[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7-\uFFFF]*(:[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7-\uFFFF]*)?/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
// XML 1.0 Char: tab, LF, CR and everything from space up, except surrogates alone and U+FFFE/U+FFFF.
const BAD_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function malformed(message: string): DavError {
  return new DavError(400, `The XML body is not well-formed: ${message}.`);
}

function decodeEntities(text: string): string {
  return text.replace(/&([^;&\s]{0,12});?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw malformed('a "&" that does not start an entity');
    if (ref in PREDEFINED) return PREDEFINED[ref];
    const m = /^#(x[0-9a-fA-F]{1,6}|[0-9]{1,7})$/.exec(ref);
    if (!m) throw malformed(`the entity "&${ref};" (only the five built-in ones are allowed)`);
    const code = m[1].startsWith('x') ? parseInt(m[1].slice(1), 16) : parseInt(m[1], 10);
    if (code > 0x10ffff || code === 0 || (code >= 0xd800 && code <= 0xdfff)) throw malformed(`the character reference "&${ref};"`);
    return String.fromCodePoint(code);
  });
}

interface Open {
  el: XmlElement;
  qname: string;
  scope: Map<string, string>;
}

/** Parses a whole document and returns its root element; anything not well-formed is a 400. */
export function parseXml(text: string): XmlElement {
  if (BAD_CHAR.test(text)) throw malformed('a character XML does not allow');
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  let elements = 0;

  const scopeOf = () => stack[stack.length - 1]?.scope ?? new Map([['xml', XML_NS]]);

  while (i < text.length) {
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) throw malformed('an unclosed comment');
      i = end + 3;
    } else if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) throw malformed('an unclosed processing instruction');
      i = end + 2;
    } else if (text.startsWith('<!DOCTYPE', i) || text.startsWith('<!ENTITY', i)) {
      throw new DavError(400, 'XML with a DOCTYPE or entity declarations is not accepted.');
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      if (end < 0 || stack.length === 0) throw malformed('a CDATA section outside an element or unclosed');
      stack[stack.length - 1].el.children.push(text.slice(i + 9, end));
      i = end + 3;
    } else if (text.startsWith('</', i)) {
      const end = text.indexOf('>', i);
      if (end < 0) throw malformed('an unclosed end tag');
      const qname = text.slice(i + 2, end).trim();
      const open = stack.pop();
      if (!open || open.qname !== qname) throw malformed(`the end tag </${qname}> does not match`);
      i = end + 1;
    } else if (text[i] === '<') {
      const top = stack.length === 0;
      const parsed = parseStartTag(text, i + 1, stack, scopeOf());
      i = parsed.next;
      if (top) {
        if (root) throw malformed('more than one root element');
        root = parsed.el;
      }
      elements++;
      if (elements > MAX_ELEMENTS) throw new DavError(413, `The XML body has more than ${MAX_ELEMENTS} elements.`);
      if (stack.length > MAX_DEPTH) throw new DavError(400, `The XML body nests deeper than ${MAX_DEPTH} levels.`);
    } else {
      const end = text.indexOf('<', i);
      const raw = text.slice(i, end < 0 ? text.length : end);
      if (stack.length === 0) {
        if (raw.trim() !== '') throw malformed('text outside the root element');
      } else {
        stack[stack.length - 1].el.children.push(decodeEntities(raw));
      }
      i = end < 0 ? text.length : end;
    }
  }
  if (stack.length) throw malformed(`<${stack[stack.length - 1].qname}> is never closed`);
  if (!root) throw malformed('there is no root element');
  return root;
}

function parseStartTag(text: string, from: number, stack: Open[], parentScope: Map<string, string>): { next: number; el: XmlElement } {
  const nameMatch = NAME.exec(text.slice(from, from + 512));
  if (!nameMatch) throw malformed('a tag without a valid name');
  const qname = nameMatch[0];
  let i = from + qname.length;
  const rawAttrs: [string, string][] = [];
  for (;;) {
    const ws = /^\s*/.exec(text.slice(i, i + 256))![0].length;
    i += ws;
    if (text.startsWith('/>', i) || text[i] === '>') break;
    if (ws === 0) throw malformed(`attributes of <${qname}> must be separated by white space`);
    const attr = /^([^\s=/>]+)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(text.slice(i, i + 70_000));
    if (!attr || !NAME.test(attr[1]) || NAME.exec(attr[1])![0] !== attr[1]) throw malformed(`a broken attribute in <${qname}>`);
    if (rawAttrs.some(([n]) => n === attr[1])) throw malformed(`the attribute "${attr[1]}" appears twice`);
    rawAttrs.push([attr[1], decodeEntities(attr[3] ?? attr[4] ?? '')]);
    i += attr[0].length;
    if (i >= text.length) throw malformed(`<${qname}> is not closed`);
  }
  const selfClosing = text.startsWith('/>', i);
  i += selfClosing ? 2 : 1;

  let scope = parentScope;
  for (const [n, v] of rawAttrs) {
    if (n === 'xmlns' || n.startsWith('xmlns:')) {
      if (scope === parentScope) scope = new Map(parentScope);
      const prefix = n === 'xmlns' ? '' : n.slice(6);
      if (prefix !== '' && v === '') throw malformed(`the prefix "${prefix}" is bound to an empty namespace`);
      if (prefix === 'xmlns' || (prefix === 'xml' && v !== XML_NS)) throw malformed(`the reserved prefix "${prefix}" is rebound`);
      scope.set(prefix, v);
    }
  }
  const resolve = (name: string, isAttr: boolean): [string, string] => {
    const colon = name.indexOf(':');
    if (colon < 0) return [isAttr ? '' : (scope.get('') ?? ''), name];
    const prefix = name.slice(0, colon);
    const ns = scope.get(prefix);
    if (ns === undefined) throw malformed(`the prefix "${prefix}" is not declared`);
    return [ns, name.slice(colon + 1)];
  };
  const [ns, name] = resolve(qname, false);
  const el: XmlElement = { ns, name, attrs: {}, nsAttrs: [], children: [] };
  for (const [n, v] of rawAttrs) {
    if (n === 'xmlns' || n.startsWith('xmlns:')) continue;
    const [ans, local] = resolve(n, true);
    if (ans === '') el.attrs[local] = v;
    else el.nsAttrs.push([ans, local, v]);
  }
  stack[stack.length - 1]?.el.children.push(el);
  if (!selfClosing) stack.push({ el, qname, scope });
  return { next: i, el };
}

/** Child elements only (text between them is white space in WebDAV bodies). */
export function childElements(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => typeof c !== 'string');
}

export function isDav(el: XmlElement, name: string): boolean {
  return el.ns === 'DAV:' && el.name === name;
}

export function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}
