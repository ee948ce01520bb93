"""classification_report and choose_threshold against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.spam.metrics import choose_threshold, classification_report

Y = [1, 1, 1, 0, 0, 0, 0, 0]
P = [0.9, 0.8, 0.3, 0.7, 0.2, 0.1, 0.1, 0.05]


def test_report_by_hand() -> None:
    # threshold 0.5 flags 0.9, 0.8, 0.7: tp=2 fp=1 fn=1 tn=4
    report = classification_report(Y, P, 0.5)
    assert report["precision"] == pytest.approx(2 / 3)
    assert report["recall"] == pytest.approx(2 / 3)
    assert report["f1"] == pytest.approx(2 / 3)  # 2*2 / (2*2 + 1 + 1)
    assert report["fpr"] == pytest.approx(1 / 5)
    assert report["accuracy"] == pytest.approx(6 / 8)
    # AUC: of 15 (spam, ham) pairs the spam scores higher in 14; only 0.3 < 0.7 is misordered
    assert report["roc_auc"] == pytest.approx(14 / 15)
    assert report["n"] == 8 and report["threshold"] == 0.5


def test_report_threshold_is_inclusive_and_accepts_predict_proba_output() -> None:
    proba = np.column_stack([1 - np.array(P), P])  # (n, 2)
    assert classification_report(Y, proba, 0.7)["fpr"] == pytest.approx(1 / 5)  # 0.7 >= 0.7 is flagged


def test_report_zero_division_conventions() -> None:
    report = classification_report([0, 0], [0.1, 0.2], 0.5)
    assert report["precision"] == 0.0 and report["recall"] == 0.0 and report["f1"] == 0.0
    assert report["fpr"] == 0.0 and report["accuracy"] == 1.0
    assert math.isnan(report["roc_auc"])


def test_report_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="only 0 and 1"):
        classification_report([0, 2], [0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match="shape"):
        classification_report([0, 1, 1], [0.1, 0.2], 0.5)


def test_choose_threshold_by_hand() -> None:
    # Cuts (flag >= score): 0.9 -> F1 2/4; 0.8 -> 4/5; 0.7 -> 4/6; 0.3 -> 6/7 (best); 0.2 -> 6/8 ...
    # The best cut flags down to 0.3 and stops before 0.2: threshold is the midpoint 0.25.
    assert choose_threshold(Y, P) == pytest.approx(0.25)
    assert choose_threshold(Y, P, f1_tolerance=0) == pytest.approx(0.25)


def test_choose_threshold_takes_the_highest_cut_within_the_f1_tolerance() -> None:
    # Best cut 0.3 has F1 6/7 = 0.857; cut 0.8 has 4/5 = 0.8, 0.057 behind. A tolerance of 0.06 counts
    # them as tied and takes the higher threshold, the midpoint 0.75 between 0.8 and 0.7: one fp fewer.
    assert choose_threshold(Y, P, f1_tolerance=0.06) == pytest.approx(0.75)
    assert choose_threshold(Y, P, f1_tolerance=0.05) == pytest.approx(0.25)
    high, low = classification_report(Y, P, 0.75), classification_report(Y, P, 0.25)
    assert high["fpr"] < low["fpr"] and high["f1"] >= low["f1"] - 0.06
    with pytest.raises(ValueError, match="f1_tolerance"):
        choose_threshold(Y, P, f1_tolerance=-0.1)


def test_choose_threshold_separable_classes_get_the_midpoint_of_the_gap() -> None:
    assert choose_threshold([0, 0, 1, 1], [0.1, 0.2, 0.6, 0.9]) == pytest.approx(0.4)


def test_choose_threshold_ties_go_to_the_higher_threshold() -> None:
    # 2 spam. Flag {0.9}: tp=1 fp=0 -> F1 2/3. Flag down to 0.3: tp=2 fp=2 -> F1 4/6 = 2/3, a tie.
    # The higher threshold (0.8, between 0.9 and 0.7) wins: same F1, two false positives fewer.
    y = [1, 0, 0, 1, 0]
    p = [0.9, 0.7, 0.5, 0.3, 0.1]
    assert choose_threshold(y, p, f1_tolerance=0) == pytest.approx(0.8)
    assert classification_report(y, p, 0.8)["f1"] == pytest.approx(classification_report(y, p, 0.2)["f1"])


def test_choose_threshold_sees_only_what_it_is_given() -> None:
    # The threshold is a function of validation labels and scores alone: permuting them changes nothing.
    order = np.random.default_rng(0).permutation(len(Y))
    assert choose_threshold(np.array(Y)[order], np.array(P)[order]) == choose_threshold(Y, P)


def test_choose_threshold_degenerate_inputs() -> None:
    assert choose_threshold([0, 1], [0.4, 0.4]) == 0.4  # one distinct score: flag everything
    with pytest.raises(ValueError, match="no spam"):
        choose_threshold([0, 0], [0.1, 0.9])
