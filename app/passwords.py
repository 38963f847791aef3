"""argon2id password hashes in PHC form, and their verification in constant shape."""
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


class Hasher:
    """Hashes new passwords and verifies presented ones with one set of argon2id parameters."""

    def __init__(self, *, time_cost, memory_kib, parallelism):
        self._argon2 = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._dummy_hash = self._argon2.hash("no reseller has this password")

    def hash(self, password):
        """Return the PHC string of a new argon2id hash of password."""
        return self._argon2.hash(password)

    def verify(self, stored_hash, password):
        """Tell whether password matches stored_hash; with no stored hash, spend the same time and say no."""
        try:
            return self._argon2.verify(stored_hash or self._dummy_hash, password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False
