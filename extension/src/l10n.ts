// Every string the extension shows goes through t(), so VS Code can show it in the person's language from l10n/bundle.l10n.<locale>.json.
//
// t() is VS Code's own `l10n.t` once activation hands it over; before that (and in pure modules'
// tests) it fills `{0}`-style placeholders itself, exactly as VS Code does without a translation.
// A test checks that every literal passed to t() is in l10n/bundle.l10n.json and nothing else is.

type Translate = (message: string, ...args: (string | number | boolean)[]) => string;

function fill(message: string, ...args: (string | number | boolean)[]): string {
  return message.replace(/\{(\d+)\}/g, (whole, index: string) => {
    const value = args[Number(index)];
    return value === undefined ? whole : String(value);
  });
}

let translate: Translate = fill;

/** Called once at activation with `vscode.l10n.t`. */
export function useTranslations(t: Translate): void {
  translate = t;
}

export function t(message: string, ...args: (string | number | boolean)[]): string {
  return translate(message, ...args);
}
