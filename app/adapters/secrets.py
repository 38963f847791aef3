"""Webhook signing secrets at rest: sealed with AES-256-GCM (the cryptography package) under a key of the service's
configuration (WEBHOOK_SECRETS_KEY), bound to their webhook's id.

A signing secret is not a password: the service must read it back to sign each delivery, so it cannot be hashed.
Sealed, a copy of the database (a backup, another component of the platform reading the shared database) does not
give it away; the key lives only in the service's configuration. Each seal has a random 96-bit nonce; the webhook's
id is the associated data, so a sealed secret copied onto another webhook does not open.
"""
from __future__ import annotations

import hashlib
import os
from typing import Any

from bson import Binary, ObjectId
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# The seal's version: a later way of sealing gets another, and both open.
VERSION = 1


class SecretBox:
    """Seals and opens webhook secrets with the key derived from the configured passphrase (SHA-256 of it: it is
    required to be long and random in production, config.py)."""

    def __init__(self, passphrase: str):
        self._aead = AESGCM(hashlib.sha256(passphrase.encode()).digest())

    def seal(self, secret: str, webhook_id: ObjectId) -> dict[str, Any]:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), webhook_id.binary)
        return {"v": VERSION, "nonce": Binary(nonce), "sealed": Binary(sealed)}

    def open(self, stored: dict[str, Any], webhook_id: ObjectId) -> str:
        """The secret; cryptography's InvalidTag when the key is not the one it was sealed with, or it was moved."""
        return self._aead.decrypt(bytes(stored["nonce"]), bytes(stored["sealed"]), webhook_id.binary).decode()
