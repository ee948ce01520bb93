"""A fastText-style spam classifier: hashed word n-grams -> EmbeddingBag -> linear, in PyTorch.

A message is the weighted sum of its n-gram embeddings (weights from `models.spam.hashing.NgramBags`:
TF-IDF by default), computed by one EmbeddingBag call per batch; a linear layer turns the (dim,) message
vector into the spam logit: a low-rank (embedding_dim) linear model over hashed n-grams, trained with the
shared loop (`models.training`), early-stopped on validation ROC AUC.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted
from torch import nn

from models.spam.hashing import WEIGHTINGS, NgramBags
from models.spam.inputs import check_texts_and_labels
from models.training import Replicas, TrainConfig, TrainHistory, seed_everything, train_module

_MIN_STEPS_PER_EPOCH = 16
_PREDICT_CHUNK = 2048  # rows per forward pass at prediction time: bounds memory on 100k-message batches


class HashedNgramNet(nn.Module):
    """(bag of weighted embedding-row ids) -> spam logit."""

    def __init__(self, n_rows: int, embedding_dim: int, dropout: float) -> None:
        super().__init__()
        self.embed = nn.EmbeddingBag(n_rows, embedding_dim, mode="sum")
        # Small init: a bag sums up to hundreds of rows, and N(0, 1) rows would start with huge logits.
        nn.init.normal_(self.embed.weight, std=0.05)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(embedding_dim, 1)

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        # ids, weights: (nnz,) flattened bags; offsets: (batch,) start of each bag in ids
        bags = self.embed(ids, offsets, per_sample_weights=weights)  # (batch, dim)
        return self.head(self.drop(bags)).squeeze(-1)  # (batch,)


@contextmanager
def _torch_threads(n_threads: int | None) -> Iterator[None]:
    """Run with `n_threads` intra-op CPU threads, restoring the previous count after (None: leave it)."""
    previous = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _bag_tensors(rows: sp.csr_matrix) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """CSR rows -> EmbeddingBag inputs (ids (nnz,), offsets (batch,), weights (nnz,))."""
    return (
        torch.from_numpy(rows.indices.astype(np.int64)),
        torch.from_numpy(rows.indptr[:-1].astype(np.int64)),
        torch.from_numpy(rows.data.astype(np.float32)),
    )


def _spam_probability(module: nn.Module, features: sp.csr_matrix) -> np.ndarray:
    device = next(module.parameters()).device
    chunks = []
    with torch.no_grad():
        for start in range(0, features.shape[0], _PREDICT_CHUNK):
            bags = _bag_tensors(features[start : start + _PREDICT_CHUNK])
            logits = module(*(t.to(device) for t in bags))  # (chunk,)
            chunks.append(torch.sigmoid(logits.float()).cpu().numpy())
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


class HashedNgramSpamModel(ClassifierMixin, BaseEstimator):
    """Spam classifier over raw message texts, trained with the shared loop (`models.training`).

    Parameters are stored untouched (scikit-learn contract). `fit` learns `bags_` (the fitted NgramBags:
    n_buckets, ngram_range, min_df and weighting are its parameters), `module_` (a HashedNgramNet, on CPU
    after training whatever the training device, so the pickled model serves without a GPU), `history_`
    (TrainHistory) and `classes_` = [0, 1]. The early-stopping score is validation ROC AUC: on
    `eval_set` when given, else on a stratified `validation_fraction` of the training texts.

    `weighting`: "tfidf" (default) or "mean" (fastText's plain average). `n_threads`: torch intra-op CPU
    threads during fit/predict (None leaves torch's setting alone). The default 1 is measured: the ops are
    tiny (128 bags x 16 dims), and on a busy 2-core machine 2 threads made a run ~5x slower (OpenMP
    threads spinning at barriers) while 1 thread took ~6 s.
    """

    def __init__(
        self,
        *,
        # Hash space: only buckets the training texts use get a row, so it costs nothing to keep it large.
        n_buckets: int = 2**20,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 2,
        weighting: str = "tfidf",
        embedding_dim: int = 16,  # 32 scored the same on validation and costs twice the optimizer time
        dropout: float = 0.1,
        batch_size: int = 128,
        validation_fraction: float = 0.1,
        max_epochs: int = 6,  # validation AUC peaks by epoch 2-4 on ~3.5k messages
        lr: float = 1e-2,
        weight_decay: float = 1e-5,
        warmup_fraction: float = 0.05,
        grad_clip: float = 1.0,
        patience: int = 2,
        seed: int = 0,
        device: str = "auto",
        amp: bool = True,
        checkpoint_dir: Path | None = None,
        resume: bool = False,
        progress: bool | None = None,
        n_threads: int | None = 1,
    ) -> None:
        self.n_buckets = n_buckets
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.weighting = weighting
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.max_epochs = max_epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.warmup_fraction = warmup_fraction
        self.grad_clip = grad_clip
        self.patience = patience
        self.seed = seed
        self.device = device
        self.amp = amp
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.progress = progress
        self.n_threads = n_threads

    def _train_config(self) -> TrainConfig:
        return TrainConfig(
            max_epochs=self.max_epochs,
            lr=self.lr,
            weight_decay=self.weight_decay,
            warmup_fraction=self.warmup_fraction,
            grad_clip=self.grad_clip,
            patience=self.patience,
            seed=self.seed,
            device=self.device,
            amp=self.amp,
            checkpoint_dir=self.checkpoint_dir,
            resume=self.resume,
            progress=self.progress,
        )

    def fit(
        self,
        texts: Sequence[str],
        y: Sequence[int] | np.ndarray,
        *,
        eval_set: tuple[Sequence[str], Sequence[int] | np.ndarray] | None = None,
    ) -> HashedNgramSpamModel:
        """Train on (texts, y), early-stopping on `eval_set` (texts, labels) or an internal split."""
        with _torch_threads(self.n_threads):
            return self._fit(texts, y, eval_set)

    def _fit(
        self,
        texts: Sequence[str],
        y: Sequence[int] | np.ndarray,
        eval_set: tuple[Sequence[str], Sequence[int] | np.ndarray] | None,
    ) -> HashedNgramSpamModel:
        text_list, labels = check_texts_and_labels(texts, y)
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {self.weighting!r}")
        config = self._train_config()  # validates the optimisation settings before any work
        if eval_set is None:
            text_list, val_texts, labels, val_labels = train_test_split(
                text_list,
                labels,
                # At least one text per class, or the validation AUC is undefined.
                test_size=max(2, round(self.validation_fraction * len(labels))),
                random_state=self.seed,
                stratify=labels,
            )
        else:
            val_texts, val_labels = check_texts_and_labels(*eval_set)  # AUC needs both classes

        # idf and the kept buckets come from the training texts only: the validation set must not shape them.
        self.bags_ = NgramBags(
            n_buckets=self.n_buckets,
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            weighting=self.weighting,
        )
        train_x, val_x = self.bags_.fit_transform(text_list), self.bags_.transform(val_texts)
        train_y = torch.from_numpy(labels.astype(np.float32))

        seed_everything(self.seed)  # the embedding init is part of the run
        module = HashedNgramNet(self.bags_.n_rows_, self.embedding_dim, self.dropout)
        with torch.no_grad():  # start at the training prior, so early steps learn features, not the base rate
            prior = float(np.clip(labels.mean(), 1e-3, 1 - 1e-3))
            module.head.bias.fill_(np.log(prior / (1 - prior)))
        loss = nn.BCEWithLogitsLoss()
        # Small training sets (early retrains in the loop) would get 1-2 steps per epoch at batch_size 128,
        # too few for the schedule to do anything: shrink the batch so an epoch has >= 16 steps.
        batch_size = int(np.clip(len(labels) // _MIN_STEPS_PER_EPOCH, 8, self.batch_size))
        batch_size = Replicas.current().batch_size(batch_size)  # under DDP: the same global batch
        steps_per_epoch = -(-len(labels) // batch_size)

        def make_batches(rng: np.random.Generator) -> Iterator[tuple[torch.Tensor, ...]]:
            order = rng.permutation(len(labels))
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                yield (*_bag_tensors(train_x[rows]), train_y[rows])

        def loss_fn(net: nn.Module, batch: Sequence[torch.Tensor]) -> torch.Tensor:
            ids, offsets, weights, targets = batch
            return loss(net(ids, offsets, weights).float(), targets)  # () mean BCE

        def validate(net: nn.Module) -> float:
            return float(roc_auc_score(val_labels, _spam_probability(net, val_x)))

        self.history_: TrainHistory = train_module(
            module,
            make_batches=make_batches,
            steps_per_epoch=steps_per_epoch,
            loss_fn=loss_fn,
            validate=validate,
            config=config,
        )
        # Serve on CPU whatever trained it: a pickled CUDA module would need a GPU to unpickle.
        self.module_ = module.to("cpu").eval()
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, 2) array: column 0 is P(ham), column 1 P(spam)."""
        check_is_fitted(self, "module_")
        features = self.bags_.transform(texts)
        with _torch_threads(self.n_threads):
            spam = _spam_probability(self.module_, features).astype(np.float64)
        return np.column_stack([1.0 - spam, spam])

    def predict(self, texts: Sequence[str], threshold: float = 0.5) -> np.ndarray:
        """0/1 per text: spam when P(spam) >= threshold (use the threshold chosen on validation data)."""
        return (self.predict_proba(texts)[:, 1] >= threshold).astype(np.int64)
