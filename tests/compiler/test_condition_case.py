"""`conditions:` compare text by code point on every engine: 'US' and 'us' are two values,
as they are two breakdown series. MySQL/MariaDB compare in the column's collation,
case-insensitive by default (`eq US` matched 'us' too), so there tripl gives the condition's
literals the binary collation; and as those collations ignore trailing spaces, a comparison
with text also checks the value's end. (A `where:` or `sql:` filter is the user's SQL, and keeps its
engine's reading.)"""

from __future__ import annotations

import fnmatch
from typing import Any

from tests.support.engines import Engine

from .condition_counts import counted

# Trailing spaces: MySQL/MariaDB collations pad (utf8mb4_bin too), so `eq 'completed'`
# matched 'completed ' there, and `gt 'completed'` missed it.
TEXTS = ["US", "us", "Us", "DE", "de", "Zz", "a", "completed", "completed ", "completed  ", "b "]
TEXTS += ["b", ""]
CONDITIONS: dict[str, tuple[dict[str, Any], Any]] = {  # name → (condition, Python's reading)
    "eq": ({"operator": "eq", "value": "US"}, lambda t: t == "US"),
    "ne": ({"operator": "ne", "value": "us"}, lambda t: t != "us"),
    "in": ({"operator": "in", "value": ["us", "DE"]}, lambda t: t in ("us", "DE")),
    "not_in": ({"operator": "not_in", "value": ["US"]}, lambda t: t != "US"),
    "gt": ({"operator": "gt", "value": "Z"}, lambda t: t > "Z"),
    "lte": ({"operator": "lte", "value": "Us"}, lambda t: t <= "Us"),
    "contains": ({"operator": "contains", "value": "s"}, lambda t: "s" in t),
    "like": ({"operator": "like", "value": "U%"}, lambda t: fnmatch.fnmatchcase(t, "U*")),
    "not_like": ({"operator": "not_like", "value": "d%"}, lambda t: not t.startswith("d")),
    "eq_unpadded": ({"operator": "eq", "value": "completed"}, lambda t: t == "completed"),
    "ne_unpadded": ({"operator": "ne", "value": "completed"}, lambda t: t != "completed"),
    "eq_padded": ({"operator": "eq", "value": "completed "}, lambda t: t == "completed "),
    "eq_empty": ({"operator": "eq", "value": ""}, lambda t: t == ""),
    "in_padded": (
        {"operator": "in", "value": ["b ", "completed"]},
        lambda t: t in ("b ", "completed"),
    ),
    "not_in_unpadded": (
        {"operator": "not_in", "value": ["completed", "b"]},
        lambda t: t not in ("completed", "b"),
    ),
    "in_a_pattern": ({"operator": "in", "value": ["b%", "%"]}, lambda t: t in ("b%", "%")),
    # Ordered: padding made 'completed ' equal to 'completed' instead of greater.
    "gt_unpadded": ({"operator": "gt", "value": "completed"}, lambda t: t > "completed"),
    "lte_unpadded": ({"operator": "lte", "value": "completed"}, lambda t: t <= "completed"),
    "gte_unpadded": ({"operator": "gte", "value": "completed"}, lambda t: t >= "completed"),
    "lt_unpadded": ({"operator": "lt", "value": "completed"}, lambda t: t < "completed"),
    "gt_padded": ({"operator": "gt", "value": "completed "}, lambda t: t > "completed "),
    "gte_padded": ({"operator": "gte", "value": "completed "}, lambda t: t >= "completed "),
    "lt_padded": ({"operator": "lt", "value": "completed "}, lambda t: t < "completed "),
    "lte_padded": ({"operator": "lte", "value": "completed "}, lambda t: t <= "completed "),
}


def test_conditions_compare_text_by_code_point_on_every_engine(engine: Engine) -> None:
    got, want = counted(engine, "condition_case", "string", TEXTS, CONDITIONS)
    assert got == want
