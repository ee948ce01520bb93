"""The servers a user might pick instead of closedloop, each serving the same champion estimator as our API
(`scorer`): a bare FastAPI app (the floor), BentoML and LitServe (each in its own virtualenv, `venvs`). Their
modules import only the standard library, their framework and `models/`, so they run in those virtualenvs."""
