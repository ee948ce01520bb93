"""What `closedloop demo` prints while it starts: human lines (no raw dicts), every URL a person opens (the
labeling UI's included), where the keys and logs are; MLflow's and alembic's INFO lines go to a log file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli.startup import corpus_line, live_summary
from closedloop import corpora
from closedloop.kinds.recsys.corpus import MOVIELENS
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN
from closedloop.platform.processes import Ports
from closedloop.settings import Settings
from tests.factories import grouplens_zip, synthetic_spam_corpus


def test_the_corpus_lines_read_as_sentences(tmp_path: Path):
    home = tmp_path / "home"
    settings = Settings(home=home)
    corpora.fetch(settings, SPAM_ASSASSIN, source=synthetic_spam_corpus(tmp_path / "c", n_ham=30, n_spam=12))
    corpora.fetch(settings, MOVIELENS, source=grouplens_zip(tmp_path / "ml.zip"))
    env = {**os.environ, "CLOSEDLOOP_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "cli", "demo", "--no-services"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "{" not in done.stdout and "'" not in done.stdout, done.stdout  # was: "cached {'ham': 30, ...}"
    assert "spam: cached — 42 messages, 12 spam, 42 unique messages" in done.stdout
    assert "movielens: cached — 36 ratings, 6 users, 8 items" in done.stdout


def test_a_count_line_formats_thousands():
    assert corpus_line("x", {"cached": False, "counts": {"ham": 4150, "spam": 1896}}) == (
        "x: fetched — 4,150 ham, 1,896 spam"
    )


def test_the_live_summary_names_every_url_the_keys_and_the_logs(tmp_path: Path):
    settings = Settings(home=tmp_path / "home")
    ports = Ports(api=18000, prefect=14200, mlflow=15000, evidently=18001)
    text = live_summary(settings, ports, elapsed=42.4, logs=tmp_path / "logs")
    for url in (
        "http://127.0.0.1:18000/dashboard",
        "http://127.0.0.1:18000/label",
        "http://127.0.0.1:18000/docs",
        "http://127.0.0.1:15000",
        "http://127.0.0.1:14200",
        "http://127.0.0.1:18001",
    ):
        assert url in text, url
    assert f"{tmp_path / 'logs'}/<process>.log" in text and "demo.log" in text
    assert "keys" in text and "CLOSEDLOOP_API_KEYS" in text
    assert text.startswith("closedloop is live after 42 s") and "{" not in text
    keyed = live_summary(
        settings.model_copy(update={"api_keys": ["a"], "admin_api_keys": ["b", "c"]}),
        ports,
        elapsed=1,
        logs=tmp_path,
    )
    assert "1 client and 2 admin key(s)" in keyed


# A fresh home: MLflow creates its tables (alembic migrations) and looks up a champion, as the demo does.
PROBE = """
import sys
from pathlib import Path
if sys.argv[2] == "quiet":
    from cli.startup import quiet_libraries
    quiet_libraries(Path(sys.argv[1]) / "logs" / "demo.log")
from closedloop import registry
from closedloop.registry import tracking
from closedloop.settings import Settings
if sys.argv[2] == "quiet":
    quiet_libraries(Path(sys.argv[1]) / "logs" / "demo.log")
client = tracking.configure(Settings(home=Path(sys.argv[1])))
registry.aliased_version(client, name="nothing-yet", alias="champion")
print("done")
"""


def test_mlflow_and_alembic_info_lines_go_to_the_log_file(tmp_path: Path):
    def probe(home: Path, mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", PROBE, str(home), mode], capture_output=True, text=True, timeout=300
        )

    loud = probe(tmp_path / "loud", "loud")
    assert loud.returncode == 0, loud.stderr
    assert "INFO" in loud.stderr, "the control: without it MLflow and alembic talk on the terminal"
    quiet = probe(tmp_path / "quiet", "quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.strip() == "done" and "INFO" not in quiet.stderr, quiet.stderr
    logged = (tmp_path / "quiet" / "logs" / "demo.log").read_text()
    assert "alembic" in logged or "mlflow" in logged
