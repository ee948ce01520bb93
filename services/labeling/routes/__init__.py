"""The labeling UI's routers, one per page family."""
