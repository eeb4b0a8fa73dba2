// POSIX-shell-like word splitting, as Python's shlex.split (Ansible host lines) and OpenSSH's
// argv_split (ssh_config values) do it: single quotes are literal, double quotes allow \" and
// \\, a backslash outside quotes escapes any character.

/**
 * Where `#` starts a comment: `anywhere` outside quotes (shlex with comments=True, even in the
 * middle of a word), `word-start` only at the start of a word (ssh_config), `none` never.
 */
export type CommentMode = 'none' | 'anywhere' | 'word-start';

export class ShellWordsError extends Error {
  override readonly name = 'ShellWordsError';
}

const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

export function splitWords(text: string, comments: CommentMode = 'none'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (WHITESPACE.has(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    if (ch === '#' && (comments === 'anywhere' || (comments === 'word-start' && !inWord))) break;
    inWord = true;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new ShellWordsError('no closing quotation');
      word += text.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i] as string;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        const next = text[i + 1];
        if (c === '\\' && (next === '"' || next === '\\')) {
          word += next;
          i += 2;
        } else {
          word += c;
          i++;
        }
      }
      if (!closed) throw new ShellWordsError('no closing quotation');
    } else if (ch === '\\') {
      if (i + 1 >= text.length) throw new ShellWordsError('no escaped character');
      word += text[i + 1];
      i += 2;
    } else {
      word += ch;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
