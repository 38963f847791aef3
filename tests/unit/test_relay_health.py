"""What health says of the events relay: running with its lag while it told so within the last 30 s, else stopped
(with how long ago it was last heard); never a reason for health to fail."""
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.events import RELAY_SILENT_SECONDS, RelayState, relay_health

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def test_a_relay_never_run_is_stopped_with_no_lag():
    assert relay_health(None, NOW) == {"relay": "stopped", "lagSeconds": None}


@pytest.mark.parametrize("silent", [0, 1, RELAY_SILENT_SECONDS])
def test_a_relay_heard_lately_is_running_with_its_lag(silent):
    state = RelayState(NOW - timedelta(seconds=silent), 0.25, "host:1")
    assert relay_health(state, NOW) == {"relay": "running", "lagSeconds": 0.25}


def test_a_relay_silent_for_longer_is_stopped_and_says_since_when():
    state = RelayState(NOW - timedelta(seconds=RELAY_SILENT_SECONDS + 12.34), 0.25, "host:1")
    assert relay_health(state, NOW) == {"relay": "stopped", "lagSeconds": None, "lastHeardSecondsAgo": 42.3}
