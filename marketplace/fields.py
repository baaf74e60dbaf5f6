"""Model-field helpers shared by the apps."""

import json


class UnicodeJSONEncoder(json.JSONEncoder):
    """Stores Chinese as itself, not as \\uXXXX escapes, so text lookups on JSON columns
    (keywords) match on SQLite as they do on PostgreSQL."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)
