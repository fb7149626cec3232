// What a text input may hold (SPEC section 5), as regex sources shared by the HTTP schemas (ajv compiles
// patterns with the `u` flag) and the checks outside them (file names, the list's search). PostgreSQL
// refuses NUL, a lone surrogate has no UTF-8 form, control characters rewrite terminals and log lines,
// and bidirectional overrides make a name read as another (`invoice\u202Efdp.exe` shows as `invoiceexe.pdf`).

const CONTROLS = '\\u0000-\\u001f\\u007f-\\u009f';
// With the `u` flag a well-formed pair is one code point outside this range: only lone halves match.
const LONE_SURROGATES = '\\ud800-\\udfff';
const BIDI = '\\u202a-\\u202e\\u2066-\\u2069';

export const TEXT_RULES = {
  /** One line: no control character at all. */
  line: `^[^${CONTROLS}${LONE_SURROGATES}]*$`,
  /** A name (of a token, of a file): one line, without bidirectional overrides or isolates. */
  name: `^[^${CONTROLS}${LONE_SURROGATES}${BIDI}]*$`,
  /** Free text (a description): lines, so tab and newline are allowed. */
  text: `^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${LONE_SURROGATES}]*$`,
} as const;

export type TextKind = keyof typeof TEXT_RULES;

const COMPILED: Record<TextKind, RegExp> = {
  line: new RegExp(TEXT_RULES.line, 'u'),
  name: new RegExp(TEXT_RULES.name, 'u'),
  text: new RegExp(TEXT_RULES.text, 'u'),
};

export const textAllowed = (value: string, kind: TextKind): boolean => COMPILED[kind].test(value);
