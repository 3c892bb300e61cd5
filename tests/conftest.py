"""Shared test setup: quiet TensorFlow, fresh automatic layer names in every test."""
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # silence TensorFlow; must be set before it is imported

import pytest  # noqa: E402

try:
    from hypothesis import HealthCheck, settings

    # TensorFlow's first calls are slow; keep property tests short on a 2-core machine.
    settings.register_profile("neuwidgets", max_examples=25, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("neuwidgets")
except ImportError:  # hypothesis is a test extra; tests that need it import it themselves
    pass


@pytest.fixture(autouse=True)
def reset_layer_names():
    """Automatic names (``relu-1``) start at 1 in each test."""
    from neuwidgets.layers import base
    base._name_counters.clear()
    yield
    base._name_counters.clear()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium for the browser tests (one per session: playwright's sync API runs once)."""
    from playwright.sync_api import sync_playwright  # a test dependency: missing it is an error, not a skip
    from browser_utils import CHROMIUM, CHROMIUM_ARGS
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
