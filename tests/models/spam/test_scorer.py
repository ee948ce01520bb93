"""The baseline's compiled scorer: the pipeline's probabilities, whatever the text, wherever it is unpickled.

The scorer replaces scikit-learn's featurisation at prediction time, so every test here compares it with
scikit-learn's own transform or `Pipeline.predict_proba` on the same fitted model.
"""

from __future__ import annotations

import os
import pickle
import random
import subprocess
import sys

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, strip_accents_unicode

from models.spam.accents import strip_accents
from models.spam.baseline import TfidfLogisticSpamModel
from models.spam.ngram_index import CharNgramIndex, WordNgramIndex
from tests.models.spam.factories import synthetic_texts

# Texts that stress the analyzers: nothing, only whitespace, odd whitespace (file separator, no-break
# space, ideographic space), accents (composed and combining), astral code points, a lone surrogate from a
# badly decoded mail, runs of $ and !, and a huge one.
AWKWARD = [
    "",
    "   \n\t  ",
    "free\x1cmoney\xa0now\u3000click  here\r\n\r\nthanks",
    "Café crème, naïve façade: GRATUIT À VOUS",
    "cafe\u0301 cre\u0300me",
    "win 😀😀 cash 🎰 now",
    "broken \udcff byte free money",
    "$$$ !!! $ ! free!!! money$$$",
    "a b c d e f g",
    "ｆｕｌｌ ｗｉｄｔｈ ﬁ ligature",
    ("free money meeting patch " * 5_000),
]


def _random_texts(n: int, seed: int) -> list[str]:
    """Random strings over ASCII, Latin accents, combining marks, whitespace and astral characters."""
    rng = random.Random(seed)
    pools = ["abcdefghij $!", "éèàçñöß", "\u0301\u0308", " \n\t\xa0", "😀中文Ωж"]
    return ["".join(rng.choice(rng.choice(pools)) for _ in range(rng.randrange(0, 80))) for _ in range(n)]


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    texts, _ = synthetic_texts(100, seed=3)
    return texts + AWKWARD + _random_texts(100, seed=0)


def test_scorer_gives_the_pipelines_probabilities(
    fitted_baseline: TfidfLogisticSpamModel, corpus: list[str]
) -> None:
    assert fitted_baseline.scorer_ is not None
    texts = corpus + _random_texts(50, seed=1)
    fast = fitted_baseline.predict_proba(texts)
    np.testing.assert_allclose(fast, fitted_baseline.pipeline_.predict_proba(texts), atol=1e-6)
    np.testing.assert_allclose(fast.sum(axis=1), 1.0)
    assert fitted_baseline.predict_proba([]).shape == (0, 2)


@pytest.mark.parametrize("ngram_range", [(1, 3), (2, 4), (3, 5)])
def test_char_index_finds_char_wb_ngrams_exactly(corpus: list[str], ngram_range: tuple[int, int]) -> None:
    counter = CountVectorizer(analyzer="char_wb", ngram_range=ngram_range).fit(corpus[:60])
    index = CharNgramIndex.from_vocabulary(counter.vocabulary_, ngram_range)
    assert index is not None
    expected = counter.transform(corpus)
    preprocess = counter.build_preprocessor()
    for row, text in enumerate(corpus):
        columns, counts = index.counts(preprocess(text))
        found = dict(zip(columns.tolist(), counts.tolist(), strict=True))
        want = expected[row]
        assert found == dict(zip(want.indices.tolist(), want.data.tolist(), strict=True)), repr(text[:40])


def test_char_index_declines_what_it_cannot_key() -> None:
    vocabulary = {"ab": 0, "abc": 1}
    assert CharNgramIndex.from_vocabulary(vocabulary, (4, 5)) is None  # char_wb would emit short windows
    wide = {"".join(chr(0x4E00 + i + k) for k in range(4)): i for i in range(70_000)}  # 70k characters
    assert CharNgramIndex.from_vocabulary(wide, (2, 4)) is None  # keys of 4 digits overflow 64 bits


def test_word_index_finds_word_ngrams_exactly(corpus: list[str]) -> None:
    counter = CountVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w\w+\b|[$!]+").fit(corpus[:60])
    index = WordNgramIndex.from_vocabulary(counter.vocabulary_, (1, 2))
    assert index is not None
    expected = counter.transform(corpus)
    preprocess, tokenize = counter.build_preprocessor(), counter.build_tokenizer()
    for row, text in enumerate(corpus):
        columns, counts = index.counts(tokenize(preprocess(text)))
        want = expected[row]
        assert dict(zip(columns.tolist(), counts.tolist(), strict=True)) == dict(
            zip(want.indices.tolist(), want.data.tolist(), strict=True)
        )


def test_a_view_without_an_index_falls_back_to_the_analyzer(corpus: list[str]) -> None:
    texts, labels = synthetic_texts(80, seed=4)
    model = TfidfLogisticSpamModel(min_df=1, char_ngram_range=(4, 6)).fit(texts, labels)
    assert model.scorer_ is not None and model.scorer_.views[1].index is None
    np.testing.assert_allclose(model.predict_proba(corpus), model.pipeline_.predict_proba(corpus), atol=1e-6)


_SCORE_IN_CHILD = """
import pickle, sys
model, texts = pickle.load(sys.stdin.buffer)
sys.stdout.buffer.write(pickle.dumps(model.predict_proba(texts)))
"""


def test_same_scores_after_pickling_in_another_process(
    fitted_baseline: TfidfLogisticSpamModel, corpus: list[str]
) -> None:
    here = fitted_baseline.predict_proba(corpus)
    # A new interpreter has a new str-hash salt: the token table is a dict and must not care.
    child = subprocess.run(
        [sys.executable, "-c", _SCORE_IN_CHILD],
        input=pickle.dumps((fitted_baseline, corpus)),
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    np.testing.assert_array_equal(pickle.loads(child.stdout), here)


def test_a_model_pickled_before_the_scorer_compiles_it_on_load(
    fitted_baseline: TfidfLogisticSpamModel, corpus: list[str]
) -> None:
    old = pickle.loads(pickle.dumps(fitted_baseline))
    del old.scorer_  # what a champion registered before the scorer existed holds
    loaded = pickle.loads(pickle.dumps(old))
    assert loaded.scorer_ is not None
    np.testing.assert_array_equal(loaded.predict_proba(corpus), fitted_baseline.predict_proba(corpus))


def test_scorer_separates_obvious_spam_from_ham(fitted_baseline: TfidfLogisticSpamModel) -> None:
    spam, ham = fitted_baseline.predict_proba(
        [
            "free money! click now, you are a winner: claim your cash prize, guaranteed credit offer",
            "thanks for the kernel patch review, see you at the project meeting after lunch",
        ]
    )[:, 1]
    assert spam > 0.9 > 0.1 > ham


def test_strip_accents_is_scikit_learns(corpus: list[str]) -> None:
    texts = corpus + _random_texts(300, seed=2) + ["\ud800é", "ǅ ß Ω µ ℃ ①", "e\u0301\u0301\u0301"]
    assert [strip_accents(text) for text in texts] == [strip_accents_unicode(text) for text in texts]
