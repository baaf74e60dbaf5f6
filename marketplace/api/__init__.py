"""API plumbing shared by every app's `api.py`: pagination, errors, filters, routing."""
