// Which files the website shows in the page (and as what type), decided by the name alone; everything else downloads.
import { baseName } from '@mydropbox/shared';

export type PreviewKind = 'image' | 'pdf' | 'audio' | 'video' | 'text';

/** Text bigger than this is offered as a download: the browser would struggle to lay it out. */
export const TEXT_PREVIEW_MAX_BYTES = 5 * 1000 * 1000;
/** Colouring is skipped above this size (the page stays responsive); the text still shows. */
export const TEXT_COLOUR_MAX_BYTES = 1000 * 1000;

const MEDIA: Record<string, [PreviewKind, string]> = {
  png: ['image', 'image/png'],
  jpg: ['image', 'image/jpeg'],
  jpeg: ['image', 'image/jpeg'],
  gif: ['image', 'image/gif'],
  webp: ['image', 'image/webp'],
  avif: ['image', 'image/avif'],
  bmp: ['image', 'image/bmp'],
  ico: ['image', 'image/vnd.microsoft.icon'],
  pdf: ['pdf', 'application/pdf'],
  mp3: ['audio', 'audio/mpeg'],
  m4a: ['audio', 'audio/mp4'],
  aac: ['audio', 'audio/aac'],
  wav: ['audio', 'audio/wav'],
  flac: ['audio', 'audio/flac'],
  ogg: ['audio', 'audio/ogg'],
  oga: ['audio', 'audio/ogg'],
  opus: ['audio', 'audio/ogg'],
  mp4: ['video', 'video/mp4'],
  m4v: ['video', 'video/mp4'],
  webm: ['video', 'video/webm'],
  ogv: ['video', 'video/ogg'],
  mov: ['video', 'video/quicktime'],
};

/** Text and code: the value is highlight.js's language name ('' lets it guess, 'plaintext' shows it plain). */
const TEXT: Record<string, string> = {
  txt: 'plaintext',
  log: 'plaintext',
  csv: 'plaintext',
  tsv: 'plaintext',
  md: 'markdown',
  markdown: 'markdown',
  json: 'json',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  ts: 'typescript',
  tsx: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  css: 'css',
  scss: 'scss',
  less: 'less',
  html: 'xml',
  htm: 'xml',
  xml: 'xml',
  svg: 'xml',
  yml: 'yaml',
  yaml: 'yaml',
  toml: 'ini',
  ini: 'ini',
  cfg: 'ini',
  conf: 'ini',
  sh: 'bash',
  bash: 'bash',
  zsh: 'bash',
  py: 'python',
  rb: 'ruby',
  go: 'go',
  rs: 'rust',
  java: 'java',
  kt: 'kotlin',
  c: 'c',
  h: 'c',
  cpp: 'cpp',
  cc: 'cpp',
  hpp: 'cpp',
  cs: 'csharp',
  php: 'php',
  sql: 'sql',
  swift: 'swift',
  lua: 'lua',
  pl: 'perl',
  r: 'r',
  diff: 'diff',
  patch: 'diff',
  gitignore: 'plaintext',
  env: 'plaintext',
};

const TEXT_NAMES: Record<string, string> = {
  makefile: 'makefile',
  dockerfile: 'dockerfile',
  readme: 'plaintext',
  license: 'plaintext',
};

export interface Preview {
  kind: PreviewKind;
  /** The Content-Type the bytes are served with when shown in the page. */
  type: string;
  /** For text: highlight.js's language name. */
  language?: string;
}

export function previewOf(path: string, size: number): Preview | undefined {
  const name = baseName(path).toLowerCase();
  const dot = name.lastIndexOf('.');
  const ext = dot >= 0 ? name.slice(dot + 1) : '';
  const media = MEDIA[ext];
  if (media) return { kind: media[0], type: media[1] };
  const language = TEXT[ext] ?? TEXT_NAMES[name] ?? (name.startsWith('.') && dot === 0 ? TEXT[ext] : undefined);
  if (language !== undefined && size <= TEXT_PREVIEW_MAX_BYTES) {
    return { kind: 'text', type: 'text/plain; charset=utf-8', language: size <= TEXT_COLOUR_MAX_BYTES ? language : 'plaintext' };
  }
  return undefined;
}
