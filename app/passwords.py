"""argon2id password hashes in PHC form, and their verification in constant shape."""
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


class VerificationCache:
    """Remembers successful verifications for a while, under a key only this process can compute."""

    def __init__(self, *, seconds, max_entries, clock=time.monotonic, on_lookup=lambda hit: None):
        self._seconds = seconds
        self._on_lookup = on_lookup
        self._max_entries = max_entries
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._expiries = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, stored_hash, password):
        message = stored_hash.encode() + b"\0" + password.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def remembers(self, stored_hash, password):
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

    def remember(self, stored_hash, password):
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

    def __init__(self, *, time_cost, memory_kib, parallelism, cache=None):
        self._argon2 = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._dummy_hash = self._argon2.hash("no reseller has this password")
        self._cache = cache or VerificationCache(seconds=0, max_entries=0)

    def hash(self, password):
        """Return the PHC string of a new argon2id hash of password."""
        return self._argon2.hash(password)

    def verify(self, stored_hash, password):
        """Tell whether password matches stored_hash; with no stored hash, spend the same time and say no."""
        if stored_hash is None:
            self._matches(self._dummy_hash, password)
            return False
        if self._cache.remembers(stored_hash, password):
            return True
        matches = self._matches(stored_hash, password)
        if matches:
            self._cache.remember(stored_hash, password)
        return matches

    def _matches(self, stored_hash, password):
        try:
            return self._argon2.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False
