"""How the relay keeps going when the database is slow: a batch it cannot write within a step's deadline is written
in halves (the position saved with the last), and a renewal of its lease that fails while the lease holds keeps the
change stream open; a database that does not answer, or another relay holding the lease, still ends the follow."""
import threading
import time
from datetime import UTC, datetime

import pytest
from bson import ObjectId

from app.domain.events import Batch, Change, FeedEvent, Sourced
from app.domain.exceptions import RelayLeaseLost
from app.service_layer.relay import Pace, Progress, follow, renew, run_relay, write

AT = datetime(2027, 1, 1, tzinfo=UTC)
RESELLER = ObjectId()


def changes(count, start=0):
    return tuple(Change(Sourced(f"customers:{number}", FeedEvent(0, RESELLER, "customer.created", AT, "reseller")),
                        AT) for number in range(start, start + count))


class Reader:
    """A change stream holding the batches given, then nothing: it stops the relay once they have all been read."""

    def __init__(self, batches, stop):
        self.batches = list(batches)
        self.stop = stop

    def next_batch(self, most, seconds):
        if not self.batches:
            self.stop.set()
            return Batch((), None, True)
        return self.batches.pop(0)

    def close(self):
        pass


class SlowRelay:
    """A relay whose database takes no more than `most` changes in one step, and whose lease renewals answer as
    `renewals` says in turn (True, False, or an error to raise), then True."""

    holder = "host:1"

    def __init__(self, batches=(), *, most=500, renewals=()):
        self.stop = threading.Event()
        self.batches = batches
        self.most = most
        self.renewals = list(renewals)
        self.opened = 0
        self.written, self.positions, self.appends = [], [], []

    def take_lease(self):
        answer = self.renewals.pop(0) if self.renewals else True
        if isinstance(answer, Exception):
            raise answer
        return answer

    def release_lease(self):
        pass

    def database_now(self):
        return AT

    def open_changes(self, wait_seconds):
        self.opened += 1
        return Reader(self.batches, self.stop)

    def append(self, batch, token):
        self.appends.append(len(batch))
        if len(batch) > self.most:
            raise TimeoutError("the step's deadline passed")
        self.written += [change.sourced.key for change in batch]
        if token is not None:
            self.positions.append(token)
        return [change.sourced.event for change in batch]

    def note_position(self, token):
        self.positions.append(token)

    def heartbeat(self, lag_seconds):
        pass


def test_a_batch_too_large_for_a_step_is_written_in_halves_with_the_position_saved_once_after_the_last():
    relay = SlowRelay(most=2)
    written = write(relay, changes(7), {"_data": "after 7"})
    assert relay.written == [f"customers:{number}" for number in range(7)]
    assert len(written) == 7
    assert relay.positions == [{"_data": "after 7"}]
    # 7 fails, its first half 3 fails and is written as 1 + 2, its second half 4 fails and is written as 2 + 2.
    assert relay.appends == [7, 3, 1, 2, 4, 2, 2]


def test_a_single_change_the_database_does_not_take_fails_the_write():
    relay = SlowRelay(most=0)
    with pytest.raises(TimeoutError):
        write(relay, changes(4), {"_data": "after 4"})
    assert relay.written == [] and relay.positions == []


def test_a_batch_is_not_split_when_the_lease_cannot_be_renewed():
    down = SlowRelay(most=1, renewals=[ConnectionError("the database does not answer")])
    with pytest.raises(ConnectionError):
        write(down, changes(4), {"_data": "after 4"})
    assert down.appends == [4]
    taken = SlowRelay(most=1, renewals=[False])
    with pytest.raises(RelayLeaseLost):
        write(taken, changes(4), {"_data": "after 4"})
    assert taken.appends == [4]


def test_a_renewal_that_fails_while_the_lease_holds_is_tried_again_later():
    relay = SlowRelay(renewals=[ConnectionError("a blip")])
    renewed = time.monotonic()
    assert renew(relay, renewed, lease_seconds=float("inf")) == renewed
    assert renew(relay, renewed, lease_seconds=float("inf")) > renewed


def test_a_renewal_that_fails_once_the_lease_has_expired_ends_the_follow():
    relay = SlowRelay(renewals=[ConnectionError("the database does not answer")])
    with pytest.raises(ConnectionError):
        renew(relay, 0.0, lease_seconds=1.0)


def test_a_renewal_another_relay_refused_is_the_lease_lost():
    with pytest.raises(RelayLeaseLost):
        renew(SlowRelay(renewals=[False]), 0.0, lease_seconds=float("inf"))


def test_the_relay_writes_an_oversized_batch_in_halves_and_goes_on_reading_the_same_stream():
    relay = SlowRelay([Batch(changes(6), {"_data": "after 6"}, False), Batch(changes(3, 6), {"_data": "after 9"}, True)],
                      most=2)
    follow(relay, 1_000.0, relay.stop, Pace(wait_seconds=0, heartbeat_seconds=0), Progress())
    assert relay.opened == 1
    assert relay.written == [f"customers:{number}" for number in range(9)]
    assert relay.positions == [{"_data": "after 6"}, {"_data": "after 9"}]


class StuckRelay(SlowRelay):
    """A relay whose database takes no change at all: it is stopped when it opens the stream a second time."""

    def open_changes(self, wait_seconds):
        self.opened += 1
        if self.opened == 2:
            self.stop.set()
        return Reader([Batch(changes(1), {"_data": "after 1"}, True)], threading.Event())


def test_a_change_that_cannot_be_written_makes_the_relay_start_again_from_its_saved_position():
    relay = StuckRelay(most=0)
    run_relay(relay, 1_000.0, relay.stop, pace=Pace(wait_seconds=0, retry_seconds=0))
    assert relay.opened == 2 and relay.written == []
