"""Entry points that face users: the prediction and feedback API (more services join here)."""
