"""argon2id password hashes in PHC form, and their verification in constant shape."""
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from app.domain.exceptions import ClientGone

# Whether the caller of the work in hand still waits for its answer. The web layer sets a check for each request it
# serves (app.web.overload); elsewhere (commands, tests, benchmarks) nobody can go away, and the default says so.
client_waiting: ContextVar[Callable[[], bool]] = ContextVar("client_waiting", default=lambda: True)


def _nobody_gone() -> None:
    """Stop before argon2's tens of milliseconds of CPU when the caller has gone: under overload, the work for callers
    that gave up would crowd out the work for those still waiting."""
    if not client_waiting.get()():
        raise ClientGone()


class VerificationCache:
    """Remembers successful verifications for a while, under a key only this process can compute."""

    def __init__(self, *, seconds: int, max_entries: int, clock: Callable[[], float] = time.monotonic,
                 on_lookup: Callable[[bool], None] = lambda hit: None):
        self._seconds = seconds
        self._on_lookup = on_lookup
        self._max_entries = max_entries
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._expiries: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, stored_hash: str, password: str) -> bytes:
        message = stored_hash.encode() + b"\0" + password.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def remembers(self, stored_hash: str, password: str) -> bool:
        """Tell whether password was verified against stored_hash less than the configured time ago."""
        if self._seconds <= 0:
            return False
        digest = self._digest(stored_hash, password)
        with self._lock:
            expiry = self._expiries.get(digest)
            fresh = expiry is not None and expiry > self._clock()
            if expiry is not None and not fresh:
                del self._expiries[digest]
        self._on_lookup(fresh)
        return fresh

    def remember(self, stored_hash: str, password: str) -> None:
        """Record that password matches stored_hash, dropping the oldest entry when full."""
        if self._seconds <= 0:
            return
        digest = self._digest(stored_hash, password)
        with self._lock:
            self._expiries[digest] = self._clock() + self._seconds
            self._expiries.move_to_end(digest)
            while len(self._expiries) > self._max_entries:
                self._expiries.popitem(last=False)


class Hasher:
    """Hashes new passwords and verifies presented ones with one set of argon2id parameters."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int, cache: VerificationCache | None = None):
        self._argon2 = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._dummy_hash = self._argon2.hash("no reseller has this password")
        self._cache = cache or VerificationCache(seconds=0, max_entries=0)

    def hash(self, password: str) -> str:
        """Return the PHC string of a new argon2id hash of password; raise ClientGone if the caller has gone."""
        _nobody_gone()
        return self._argon2.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Tell whether password matches stored_hash, by a full verification; with no hash, spend the same and say no.

        Raises ClientGone, before verifying, if the caller has gone."""
        _nobody_gone()
        try:
            return self._argon2.verify(stored_hash or self._dummy_hash, password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    def verified_lately(self, stored_hash: str, password: str) -> bool:
        """Tell whether this process verified password against stored_hash lately (see VerificationCache)."""
        return self._cache.remembers(stored_hash, password)

    def remember(self, stored_hash: str, password: str) -> None:
        """Note that password matched stored_hash, so that verified_lately says so for a while."""
        self._cache.remember(stored_hash, password)
