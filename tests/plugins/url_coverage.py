"""Fail the run when a URL pattern of the project's own apps is never requested.

Every request the test client or the live server handles is recorded by its resolved view
name. At the end of a full run (no -k, no narrower paths than the configured testpaths),
patterns never requested are listed and the session fails. Admin URLs are Django's own.
"""

from __future__ import annotations

import pytest

_requested: set[str] = set()
EXCLUDED_NAMESPACES = {"admin"}


def _record(resolver_match) -> None:
    if resolver_match is not None:
        _requested.add(resolver_match.view_name or resolver_match.route)


def pytest_configure(config):
    from django.core.handlers.base import BaseHandler

    original = BaseHandler.resolve_request

    def resolve_request(self, request):
        match = original(self, request)
        _record(match)
        return match

    BaseHandler.resolve_request = resolve_request


def project_url_names() -> set[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    names: set[str] = set()

    def walk(patterns, namespaces, route_prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in EXCLUDED_NAMESPACES:
                    continue
                inner = [*namespaces, pattern.namespace] if pattern.namespace else namespaces
                walk(pattern.url_patterns, inner, route_prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = route_prefix + str(pattern.pattern)
                names.add(":".join([*namespaces, pattern.name]) if pattern.name else route)

    walk(get_resolver().url_patterns, [], "")
    return names


def _is_full_run(session) -> bool:
    config = session.config
    if config.getoption("keyword") or config.getoption("lf", False) or config.getoption("deselect", None):
        return False
    testpaths = {str(config.rootpath / path) for path in config.getini("testpaths")}
    args = {str((config.invocation_params.dir / arg.split("::")[0]).resolve()) for arg in config.args}
    return not args or args <= testpaths


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if exitstatus != 0 or not _is_full_run(session) or session.testscollected == 0:
        return
    missing = sorted(project_url_names() - _requested)
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "URL patterns never requested by the suite (add a test for each):\n  " + "\n  ".join(missing)
        if reporter:
            reporter.write_sep("=", "URL coverage", red=True)
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
