// Finds tokend tokens in text for `tokend scan` (SPEC 9): strings that match SPEC 1's scanning pattern
// (`\bsk-(?:[a-z0-9]+(?:-[a-z0-9]+)*-)?[0-9A-Za-z]{49}\b`) and whose checksum is valid, with 1-based line
// and column. Pure and streaming: text arrives in chunks of any size (a token may be split between two),
// and each char is looked at a bounded number of times, so `git log -p` of a whole history is read once.
import { isWellFormed, MAX_LENGTH } from '../tokens/token.js';

/** A token in the text. `token` is the secret itself: callers print only its display form. */
export interface Found {
  line: number;
  /** In UTF-16 code units, as editors such as VS Code count columns (ASCII text: characters). */
  column: number;
  token: string;
}

const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isWordChar = (c: number) => isAlnum(c) || c === 95; // what `\b` counts as a word char
// A char no token holds that `\b` sees as a non-word char: text up to and including one scans the same
// alone as inside the whole stream (nothing found crosses it, and it bounds a token as the text's end does).
const isBoundary = (c: number) => !isWordChar(c) && c !== 45;

export class TokenScanner {
  // The text after the last boundary char seen: it may be the start of a token the next chunk ends.
  private carry = '';
  // Where `carry` starts in the whole text, and where the current line starts (UTF-16 offsets).
  private offset = 0;
  private lineStart = 0;
  private line = 1;

  /** The tokens that `chunk` completes, in order. */
  push(chunk: string): Found[] {
    const text = this.carry + chunk;
    // The carry holds no boundary char, so only the new chunk is searched for the last one.
    let cut = text.length - 1;
    while (cut >= this.carry.length && !isBoundary(text.charCodeAt(cut))) cut--;
    if (cut < this.carry.length) {
      this.carry = text;
      return [];
    }
    this.carry = text.slice(cut + 1);
    return this.scan(text.slice(0, cut + 1));
  }

  /** The tokens left in the text's tail, once all of it has been pushed. */
  end(): Found[] {
    const rest = this.carry;
    this.carry = '';
    return this.scan(rest);
  }

  private scan(segment: string): Found[] {
    const found: Found[] = [];
    // The next newline not yet counted in `line`: each newline is searched for once.
    let newline = segment.indexOf('\n');
    for (let at = segment.indexOf('sk-'); at >= 0; at = segment.indexOf('sk-', at + 1)) {
      if (at > 0 && isWordChar(segment.charCodeAt(at - 1))) continue; // the leading `\b`
      const token = tokenAt(segment, at);
      if (!token) continue;
      for (; newline >= 0 && newline < at; newline = segment.indexOf('\n', newline + 1)) {
        this.line++;
        this.lineStart = this.offset + newline + 1;
      }
      found.push({ line: this.line, column: this.offset + at - this.lineStart + 1, token });
      at += token.length - 1;
    }
    for (; newline >= 0; newline = segment.indexOf('\n', newline + 1)) {
      this.line++;
      this.lineStart = this.offset + newline + 1;
    }
    this.offset += segment.length;
    return found;
  }
}

/**
 * The longest token starting at `start`, or null. A token's secret and checksum are the 49 alnum chars
 * between its last `-` and its end, and its end is a `-` or a non-word char (the trailing `\b`): one walk
 * over at most MAX_LENGTH chars finds those ends, so a hostile run of `sk-sk-sk-...` costs a bounded look
 * per `sk-`, where a global regex would rescan the rest of the run from each one.
 */
function tokenAt(text: string, start: number): string | null {
  const limit = Math.min(text.length, start + MAX_LENGTH);
  let found: string | null = null;
  let dash = start + 2; // the last '-' before `end`
  for (let end = start + 3; end <= limit; end++) {
    const c = end < text.length ? text.charCodeAt(end) : -1;
    if (isAlnum(c)) continue;
    if (end - dash - 1 === 49 && c !== 95) {
      // isWellFormed is SPEC 1's pattern, anchored, and the checksum.
      const candidate = text.slice(start, end);
      if (isWellFormed(candidate)) found = candidate;
    }
    if (c !== 45) break;
    dash = end;
  }
  return found;
}

/** Every token in a whole text. */
export function findTokens(text: string): Found[] {
  const scanner = new TokenScanner();
  return [...scanner.push(text), ...scanner.end()];
}
