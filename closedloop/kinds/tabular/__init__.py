"""A family of model kinds: binary classifiers over a table of numeric features.

A kind of this family is a `TabularClassifier` subclass that sets its `config` and `table` (the feature
names, the two feedback kinds and what they say, the candidate estimators) and loads its base data
(`load`: one row per case, in arrival order, the features and a 0/1 `label`). Everything else — snapshots
with the gate's holdout and window, candidates at a target false-positive rate, the gate's binary
comparison, the MLflow pyfunc, the `/v1/<name>/predict` route, feedback, labels, the labeling item and
the dashboard's live quality — comes from here, the same for every such kind. The spam filter and the
recommender are written out by hand; a user's own tabular model is a page of code (see README, "Add your own
model").
"""

from closedloop.kinds.tabular.kind import Table, TabularClassifier
from closedloop.kinds.tabular.serving import TabularModel

__all__ = ["Table", "TabularClassifier", "TabularModel"]
