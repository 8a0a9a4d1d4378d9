// Writing WebDAV XML answers: escaping, qualified property names, multistatus documents.
import type { XmlElement } from './xmlParser';

/** Escapes for attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Escapes for element text: quotes stay as they are, so an ETag reads "…" to naive clients too. */
export function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

/** A property's name as an XML tag: DAV: ones with the document's D: prefix, others declaring their own namespace. */
export function propTag(ns: string, name: string, inner?: string): string {
  const open = ns === 'DAV:' ? `D:${name}` : `P:${name} xmlns:P="${escapeXml(ns)}"`;
  if (ns === '') return inner === undefined || inner === '' ? `<${name} xmlns=""/>` : `<${name} xmlns="">${inner}</${name}>`;
  const close = ns === 'DAV:' ? `D:${name}` : `P:${name}`;
  return inner === undefined || inner === '' ? `<${open}/>` : `<${open}>${inner}</${close}>`;
}

/**
 * An element's content as XML that keeps every namespace, whatever prefixes the client used: each
 * element declares its own default namespace. Used to store dead property values and send them back.
 */
export function serializeContent(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? escapeText(c) : serializeElement(c))).join('');
}

function serializeElement(el: XmlElement): string {
  let attrs = ` xmlns="${escapeXml(el.ns)}"`;
  for (const [name, value] of Object.entries(el.attrs)) attrs += ` ${name}="${escapeXml(value)}"`;
  el.nsAttrs.forEach(([ns, name, value], i) => {
    attrs += ` xmlns:a${i}="${escapeXml(ns)}" a${i}:${name}="${escapeXml(value)}"`;
  });
  const inner = serializeContent(el);
  return inner === '' ? `<${el.name}${attrs}/>` : `<${el.name}${attrs}>${inner}</${el.name}>`;
}

export const XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n';

export function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Unknown'}`;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  423: 'Locked',
  424: 'Failed Dependency',
  500: 'Internal Server Error',
  507: 'Insufficient Storage',
};

/** One <D:response>: an href and its properties grouped by status (or one status for the whole resource). */
export function responseXml(href: string, propstats: { status: number; props: string[] }[], status?: number, description?: string): string {
  if (status !== undefined)
    return `<D:response><D:href>${escapeText(href)}</D:href><D:status>${statusLine(status)}</D:status></D:response>`;
  const groups = propstats
    .filter((g) => g.props.length > 0)
    .map((g) => `<D:propstat><D:prop>${g.props.join('')}</D:prop><D:status>${statusLine(g.status)}</D:status></D:propstat>`)
    .join('');
  const said = description === undefined ? '' : `<D:responsedescription>${escapeText(description)}</D:responsedescription>`;
  return `<D:response><D:href>${escapeText(href)}</D:href>${groups}${said}</D:response>`;
}

export function multistatusXml(responses: string[]): string {
  return `${XML_HEAD}<D:multistatus xmlns:D="DAV:">${responses.join('')}</D:multistatus>`;
}

export function errorXml(condition: string): string {
  return `${XML_HEAD}<D:error xmlns:D="DAV:"><D:${condition}/></D:error>`;
}
