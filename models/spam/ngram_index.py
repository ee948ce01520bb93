"""A fitted TF-IDF vocabulary as sorted integer keys: a text's known n-grams and their counts, in numpy.

scikit-learn's analyzers build every n-gram of a text as a Python string and look each up in a dict:
~2,400 character n-grams and ~320 word 1-2-grams for a 1,000-character message, most of the baseline's
scoring time. Here each symbol (a character for `char_wb`, a token for `word`) that occurs in some
vocabulary term gets a digit 1..S, and an n-gram becomes its digits read in base S + 1: a unique key,
and keys of different lengths never collide (the leading digit is at least 1). A text is one array of
digits; the keys of all its windows of width n come from n vectorised multiply-adds; a window holding
digit 0 (a symbol no vocabulary term contains, or a word boundary) cannot be a term and is dropped; one
`searchsorted` finds the distinct keys among the vocabulary's. Same n-grams, same columns as scikit-learn.

Why `char_wb`'s windows are these: it pads each whitespace-separated word with one space and slides
windows of width n over it (a word shorter than n would give one window, the whole padded word, which for
n_min <= 3 never happens: a padded word has 3+ characters). Padded words joined by "\\n" reproduce that:
"\\n" is whitespace, so no `char_wb` term holds it; it gets digit 0 and no window spans two words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

_KEY_LIMIT = 2**64  # keys are uint64: base**max_n must not exceed this
_CHAR_WB_MAX_MIN_N = 3  # a padded word has >= 3 characters: char_wb emits no short window up to here


class NgramIndex:
    """Sorted keys of a vocabulary's n-grams over symbol digits, and the column of each key."""

    def __init__(self, keys: np.ndarray, columns: np.ndarray, base: int, ngram_range: tuple[int, int]):
        self.keys = keys  # (n_terms,) uint64, sorted
        self.key_columns = columns  # (n_terms,) int64 vocabulary column of each key
        self.base = base  # number of symbols + 1
        self.ngram_range = ngram_range

    @staticmethod
    def _sorted_keys(
        terms: Sequence[Sequence[int]], columns: Sequence[int], base: int
    ) -> tuple[np.ndarray, np.ndarray]:
        keys_list = []
        for digits in terms:
            key = 0
            for digit in digits:
                key = key * base + digit
            keys_list.append(key)
        keys = np.array(keys_list, dtype=np.uint64)
        order = np.argsort(keys)
        return keys[order], np.asarray(columns, dtype=np.int64)[order]

    def count_windows(self, digits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(columns, counts) of the vocabulary n-grams among the windows of `digits`, each column once."""
        empty = np.zeros(0, dtype=np.int64)
        if len(self.keys) == 0 or len(digits) == 0:
            return empty, empty
        symbols = digits.astype(np.uint64)
        base = np.uint64(self.base)
        known = digits > 0
        found = []
        min_n, max_n = self.ngram_range
        for n in range(min_n, min(max_n, len(digits)) + 1):
            width = len(digits) - n + 1
            keys = symbols[:width].copy()  # (width,) key of the window starting at each position
            valid = known[:width].copy()
            for k in range(1, n):
                keys = keys * base + symbols[k : k + width]  # < base**n <= 2**64: never wraps
                valid &= known[k : k + width]
            found.append(keys[valid])
        if not found:
            return empty, empty
        # Count first, then look up each distinct n-gram once: sorted needles make searchsorted cheap.
        distinct, occurrences = np.unique(np.concatenate(found), return_counts=True)
        where = np.minimum(np.searchsorted(self.keys, distinct), len(self.keys) - 1)
        hit = self.keys[where] == distinct
        return self.key_columns[where[hit]], occurrences[hit].astype(np.int64)


class CharNgramIndex(NgramIndex):
    """`char_wb` terms keyed by characters: `counts(text)` for a text already preprocessed (head, case,
    accents) as the vectorizer's preprocessor does."""

    def __init__(
        self, alphabet: np.ndarray, keys: np.ndarray, columns: np.ndarray, ngram_range: tuple[int, int]
    ):
        super().__init__(keys, columns, len(alphabet) + 1, ngram_range)
        self.alphabet = alphabet  # (S,) uint32 code points, sorted; the digit of alphabet[i] is i + 1

    @classmethod
    def from_vocabulary(
        cls, vocabulary: Mapping[str, int], ngram_range: tuple[int, int]
    ) -> CharNgramIndex | None:
        """Index a fitted `char_wb` vectorizer's `vocabulary_`; None where keys would not fit 64 bits (an
        alphabet of 65,536+ characters with 4-grams) or `char_wb` would emit short windows."""
        alphabet = np.array(sorted({ord(ch) for term in vocabulary for ch in term}), dtype=np.uint32)
        base = len(alphabet) + 1
        if ngram_range[0] > _CHAR_WB_MAX_MIN_N or base ** ngram_range[1] > _KEY_LIMIT:
            return None
        digit = {chr(code): i + 1 for i, code in enumerate(alphabet.tolist())}
        terms = [[digit[ch] for ch in term] for term in vocabulary]
        keys, columns = cls._sorted_keys(terms, list(vocabulary.values()), base)
        return cls(alphabet, keys, columns, ngram_range)

    def digits(self, text: str) -> np.ndarray:
        """(len,) int64 digits of `char_wb`'s padded words, joined by word boundaries (digit 0)."""
        words = text.split()
        if not words:
            return np.zeros(0, dtype=np.int64)
        padded = " " + " \n ".join(words) + " "
        # surrogatepass: a lone surrogate (from a badly decoded mail) is a code point like any other.
        codes = np.frombuffer(padded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        rank = np.searchsorted(self.alphabet, codes)  # (len,)
        known = self.alphabet[np.minimum(rank, len(self.alphabet) - 1)] == codes
        return np.where(known, rank + 1, 0).astype(np.int64)

    def counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, counts) of the vocabulary's char n-grams in `text`, each column once."""
        return self.count_windows(self.digits(text))


class WordNgramIndex(NgramIndex):
    """Word n-gram terms ("free money") keyed by tokens: `counts(tokens)` for the vectorizer's tokens."""

    def __init__(
        self,
        token_digits: dict[str, int],
        keys: np.ndarray,
        columns: np.ndarray,
        ngram_range: tuple[int, int],
    ):
        super().__init__(keys, columns, len(token_digits) + 1, ngram_range)
        self.token_digits = token_digits  # token -> digit 1..S

    @classmethod
    def from_vocabulary(
        cls, vocabulary: Mapping[str, int], ngram_range: tuple[int, int]
    ) -> WordNgramIndex | None:
        """Index a fitted `word` vectorizer's `vocabulary_` (its n-grams are tokens joined by one space,
        and tokens hold no space); None where keys would not fit 64 bits."""
        tokenised = [term.split(" ") for term in vocabulary]
        token_digits: dict[str, int] = {}
        for tokens in tokenised:
            for token in tokens:
                token_digits.setdefault(token, len(token_digits) + 1)
        base = len(token_digits) + 1
        if base ** ngram_range[1] > _KEY_LIMIT:
            return None
        terms = [[token_digits[token] for token in tokens] for tokens in tokenised]
        keys, columns = cls._sorted_keys(terms, list(vocabulary.values()), base)
        return cls(token_digits, keys, columns, ngram_range)

    def counts(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(columns, counts) of the vocabulary's word n-grams among `tokens`, each column once."""
        digit = self.token_digits.get
        digits = np.array([digit(token, 0) for token in tokens], dtype=np.int64)  # (n_tokens,)
        return self.count_windows(digits)
