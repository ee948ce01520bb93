"""A tumor classifier as a closedloop model kind: malignant or benign, from 30 measurements of a cell
nucleus image (scikit-learn's bundled Wisconsin breast-cancer set, 569 cases; nothing is downloaded).

This is the whole kind. It is a `TabularClassifier`, so closedloop's tabular family supplies snapshots,
candidates at the target false-positive rate, the gate's comparison, packaging, the `/v1/tumor/predict`
route, feedback, labels, the labeling item and the dashboard's live quality; this file says what the data
is. Installed (`pip install ./examples/tumor-kind`), its entry point registers it; or name it in
`CLOSEDLOOP_KINDS=closedloop_tumor:KIND`.
"""

from __future__ import annotations

import pandas as pd
from sklearn.datasets import load_breast_cancer

from closedloop.gate import Floor
from closedloop.kinds import Answer, KindConfig, LabelingTask
from closedloop.kinds.tabular import Table, TabularClassifier
from closedloop.settings import Settings

FEATURES = tuple(str(name).replace(" ", "_") for name in load_breast_cancer().feature_names)
ARRIVAL_SEED = 7  # the set has no dates: one fixed shuffle stands for the order cases arrived in


class TumorClassifier(TabularClassifier):
    config = KindConfig(
        name="tumor",
        registered_name="tumor-classifier",
        title="Tumor classifier",
        metric="f1",
        candidates=("logreg", "forest"),
        default_candidates=("logreg",),
        feedback_kinds=("report_malignant", "report_benign"),  # what a pathologist's review says
        label_values=(0, 1),
        task=LabelingTask(
            name="tumor",
            answers=(Answer(1, "m", "malignant"), Answer(0, "b", "benign")),
            question="Is this tumor malignant?",
        ),
        floors=(Floor("f1", at_least=0.85), Floor("fpr", at_most=0.10)),
        position=30,
    )
    table = Table(features=FEATURES)

    def load(self, settings: Settings) -> pd.DataFrame:
        data = load_breast_cancer(as_frame=True)
        cases = data.frame.copy()
        cases.columns = [*FEATURES, "label"]
        cases["label"] = 1 - cases["label"]  # scikit-learn says 0 for malignant; here 1 is the finding
        return cases.sample(frac=1.0, random_state=ARRIVAL_SEED).reset_index(drop=True)


KIND = TumorClassifier()
