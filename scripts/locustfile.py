# ruff: noqa: S311  (random choice of pages and queries for load, not secrets)
"""Visitors of the market for `make bench-load` (scripts/bench_load.py starts gunicorn and runs this).

    .venv/bin/locust -f scripts/locustfile.py --headless --host http://127.0.0.1:8000 --users 50 \
        --spawn-rate 10 --run-time 60s

Anonymous visitors browse the achievement library (filters, sort orders, pages), search in Chinese,
open achievements and demands, read the public API lists and the home page. At the start the ids, titles
and keywords of published listings are read from the public API (outside the measurement), so every
detail page is one that exists; each response must be 200 *and* carry a content marker (the listing's
title, result links, the JSON results), otherwise it counts as a failure. BENCH_LOAD_WAIT sets the think
time between a user's requests: "0" (default: the next request as soon as the last one answered) or
"1-3" (seconds, uniform).
"""

from __future__ import annotations

import html
import json
import os
import random
import re

import requests
from locust import HttpUser, between, constant, events, task

API_PAGES = int(os.environ.get("BENCH_LOAD_API_PAGES", "5"))  # pages of 20 read per listing type at the start
LIBRARY_PAGES = int(os.environ.get("BENCH_LOAD_LIBRARY_PAGES", "100"))
CATEGORIES = ("major_original", "industrial", "demand_driven")
SORTS = ("newest", "price_low", "price_high", "trl_high", "popular")
# Words a visitor types, besides the listings' own keywords.
COMMON_QUERIES = (
    "锂电池",
    "石墨烯",
    "海水淡化",
    "人工智能",
    "中药",
    "催化剂",
    "新能源汽车",
    "海洋生物",
    "传感器",
    "智能制造",
)
PROVINCES = ("370000", "110000", "310000", "320000", "440000")
ACHIEVEMENT_LINK = re.compile(r'href="/achievements/\d+/"')
LISTING_LINK = re.compile(r'href="/(?:achievements|demands|pilots/bases|organizations|events)/[^"]*\d+/')

TARGETS: dict[str, list] = {"achievements": [], "demands": [], "keywords": []}


@events.test_start.add_listener
def load_targets(environment, **kwargs):
    """Published listings from the public API (plain requests: not part of the statistics)."""
    for kind in ("achievements", "demands"):
        url = f"{environment.host}/api/v1/{kind}/"
        for _ in range(API_PAGES):
            response = requests.get(url, timeout=60)
            response.raise_for_status()
            body = response.json()
            for item in body["results"]:
                TARGETS[kind].append((item["id"], item["title"]))
                TARGETS["keywords"].extend(k for k in item.get("keywords") or [] if 2 <= len(k) <= 8)
            url = body.get("next")
            if not url:
                break
    if not TARGETS["achievements"] or not TARGETS["demands"]:
        raise RuntimeError("the public API lists no achievements or no demands: seed the database first")
    TARGETS["keywords"] = sorted(set(TARGETS["keywords"])) or list(COMMON_QUERIES)


@events.test_stop.add_listener
def save_errors(environment, **kwargs):
    """The failures with their reasons, for scripts/bench_load.py (BENCH_LOAD_ERRORS_FILE)."""
    path = os.environ.get("BENCH_LOAD_ERRORS_FILE")
    if path and environment.runner is not None:
        errors = [
            {"name": error["name"], "error": error["error"], "occurrences": error["occurrences"]}
            for error in environment.runner.stats.serialize_errors().values()
        ]
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(errors, handle, ensure_ascii=False, indent=2)


def _wait_time():
    value = os.environ.get("BENCH_LOAD_WAIT", "0")
    if "-" in value:
        low, high = (float(part) for part in value.split("-", 1))
        return between(low, high)
    return constant(float(value))


def _title_shown(text: str, title: str) -> bool:
    return html.escape(title) in text or title in text


class Visitor(HttpUser):
    wait_time = _wait_time()

    def _page(self, path: str, name: str, check, what: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{path}: HTTP {response.status_code}")
            elif not check(response.text):
                response.failure(f"{path}: {what} missing from the page")
            else:
                response.success()

    @task(4)
    def library(self):
        params = {"page": random.randint(1, LIBRARY_PAGES)}
        roll = random.random()
        if roll < 0.3:
            params |= {"category": random.choice(CATEGORIES), "trl_min": random.randint(1, 6)}
        elif roll < 0.5:
            params |= {"region": random.choice(PROVINCES)}
            params["page"] = random.randint(1, 5)
        elif roll < 0.7:
            params |= {"sort": random.choice(SORTS)}
        query = "&".join(f"{key}={value}" for key, value in params.items())
        self._page(
            f"/achievements/?{query}",
            "/achievements/ (library)",
            lambda text: "成果库" in text and (ACHIEVEMENT_LINK.search(text) or "region" in params),
            "the library's heading or its result links",
        )

    @task(3)
    def search(self):
        own_words = random.random() < 0.7
        words = random.choice(TARGETS["keywords"] if own_words else COMMON_QUERIES)
        suffix = random.choice(("", "&kind=achievement", "&kind=demand", f"&region={random.choice(PROVINCES)}"))
        path = f"/search/?q={requests.utils.quote(words)}{suffix}"
        heading = f"“{html.escape(words)}”的检索结果"
        if own_words and not suffix:
            # A published listing's own keyword: the listing (at least) must be found.
            check, what = (lambda text: heading in text and LISTING_LINK.search(text)), "the heading or result links"
        else:
            # Other words or narrowing filters may match nothing: the results list must still be rendered.
            check, what = (lambda text: heading in text and 'class="list-unstyled search-hits"' in text), "the results"
        self._page(path, "/search/?q= (Chinese words)", check, what)

    @task(3)
    def achievement_detail(self):
        pk, title = random.choice(TARGETS["achievements"])
        self._page(f"/achievements/{pk}/", "/achievements/<id>/", lambda text: _title_shown(text, title), "the title")

    @task(2)
    def demand_detail(self):
        pk, title = random.choice(TARGETS["demands"])
        self._page(f"/demands/{pk}/", "/demands/<id>/", lambda text: _title_shown(text, title), "the title")

    @task(1)
    def demand_board(self):
        self._page(
            f"/demands/?page={random.randint(1, 20)}",
            "/demands/ (board)",
            lambda text: re.search(r'href="/demands/\d+/"', text),
            "demand links",
        )

    def _api(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{path}: HTTP {response.status_code}")
                return
            try:
                results = response.json()["results"]
            except (ValueError, KeyError):
                response.failure(f"{path}: not the API's paginated JSON")
                return
            if not results or not all("id" in item and item.get("title") for item in results):
                response.failure(f"{path}: empty results or items without id and title")
            else:
                response.success()

    @task(2)
    def api_achievements(self):
        suffix = random.choice(("", f"?category={random.choice(CATEGORIES)}", f"?trl_min={random.randint(1, 6)}"))
        self._api(f"/api/v1/achievements/{suffix}", "/api/v1/achievements/")

    @task(2)
    def api_demands(self):
        self._api("/api/v1/demands/", "/api/v1/demands/")

    @task(1)
    def home(self):
        self._page("/", "/ (home)", lambda text: "科技大市场" in text and "首页" in text, "the market's name")
