// Reads a request body with a size cap (413 past it) and parses it as XML; an empty body is "no XML".
import type http from 'node:http';
import { DavError } from './davError';
import { parseXml, XmlElement } from './xmlParser';

/** PROPFIND, PROPPATCH and LOCK bodies are small; 1 MB leaves room for many dead properties. */
export const MAX_XML_BYTES = 1024 * 1024;

/** The whole body as bytes, refusing more than `limit` (by Content-Length up front, or while reading). */
export async function readLimited(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume();
    throw new DavError(413, `The request body is larger than ${limit} bytes.`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      req.resume();
      throw new DavError(413, `The request body is larger than ${limit} bytes.`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Whether the request says it has a body (chunked or a non-zero length). */
export function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && Number(len) > 0) || req.headers['transfer-encoding'] !== undefined;
}

/** The parsed XML body, or undefined when the body is empty. */
export async function readXml(req: http.IncomingMessage): Promise<XmlElement | undefined> {
  const bytes = await readLimited(req, MAX_XML_BYTES);
  if (bytes.length === 0) return undefined;
  const text = bytes.toString('utf8');
  if (text.trim() === '') return undefined;
  if (text.includes('\ufffd') && !bytes.includes(Buffer.from('\ufffd'))) {
    throw new DavError(400, 'The XML body is not valid UTF-8.');
  }
  return parseXml(text);
}
