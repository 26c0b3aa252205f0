// A tiny tokenizer for the demo: lower-cased words, numbers and single punctuation
// marks; a few common English suffixes are split off longer words as "##suffix" pieces
// (the way WordPiece marks a continuation), so "walking" is "walk" + "##ing". No
// vocabulary: a token's embedding is seeded by its text (see model.ts).

const SUFFIXES = ["ing", "tion", "ness", "ment", "ly", "ed", "er", "est"];

/** Splits text into tokens; at most `max` of them. */
export function tokenize(text: string, max = 24): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:'[\p{L}]+)?|[^\s\p{L}\p{N}]/gu)) {
    const word = m[0];
    const suffix = SUFFIXES.find((s) => word.length >= s.length + 4 && word.endsWith(s));
    if (suffix) out.push(word.slice(0, -suffix.length), `##${suffix}`);
    else out.push(word);
    if (out.length >= max) break;
  }
  return out.slice(0, max);
}
