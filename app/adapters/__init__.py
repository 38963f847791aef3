"""Adapters to the world outside the domain: MongoDB, argon2."""
