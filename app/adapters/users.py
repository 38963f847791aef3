"""The users' store."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from bson import ObjectId

from app.adapters.documents import (
    IDEMPOTENCY_INDEX,
    IDEMPOTENCY_KEY,
    USER_FIELDS,
    USERS,
    USERS_BY_EMAIL,
    USERS_BY_PHONE_NUMBER,
    WITHOUT_SECRETS,
    hold_change,
    hold_filter,
    list_filter,
    lookalike_filter,
    stored_changes,
    user_document,
    user_from,
    users_index,
)
from app.adapters.mongo import UNBOUND, Binding, Collections, after_id, first, insert, page
from app.domain import names
from app.domain.commands import NO_FILTERS, ListFilters
from app.domain.exceptions import UserExists
from app.domain.model import Changed, Holder, Page, User


class MongoUsers:
    """Users of the resellers' customers: created once under a unique username, then read and changed; their
    password hashes are written, never read back."""

    def __init__(self, collections: Collections, binding: Binding = UNBOUND):
        self._c = collections
        self._binding = binding

    def bound(self, binding: Binding) -> MongoUsers:
        return MongoUsers(self._c, binding)

    def add(self, user: User) -> None:
        """Store a new user; raises UserExists when its username, or one that looks the same, is taken."""
        insert(self._c.majority[USERS], user_document(user), self._binding, UserExists)

    def holder(self, username: str, *, durable: bool = False) -> Holder | None:
        """The user that has this username, or one that looks the same, or None (durable: as a majority has it)."""
        found = self._users(durable).find_one(lookalike_filter(username, "usernameKey"), {"_id": 1, "resellerId": 1},
                                              session=self._binding.session)
        return Holder(found["_id"], found["resellerId"]) if found else None

    def of(self, reseller_id: ObjectId, *, user_id: ObjectId | None = None, username: str | None = None) -> User | None:
        """The user with this id or username if it belongs to this reseller, else None."""
        if user_id is not None:
            document = self._c.users.find_one({"_id": user_id, "resellerId": reseller_id}, WITHOUT_SECRETS,
                                              session=self._binding.session)
        else:
            # By its unique username alone (served by that index on every server), then checked for its reseller.
            document = self._c.users.find_one({"username": names.as_stored(username or "")}, WITHOUT_SECRETS,
                                              session=self._binding.session)
        return user_from(document) if document and document["resellerId"] == reseller_id else None

    def with_key(self, reseller_id: ObjectId, key: str, *, durable: bool = False) -> User | None:
        """The user a request with this Idempotency-Key of this reseller created (durable: as a majority of the
        replica set has it), or None."""
        cursor = self._users(durable).find({"resellerId": reseller_id, IDEMPOTENCY_KEY: key}, WITHOUT_SECRETS,
                                           session=self._binding.session)
        document = first(cursor.hint(IDEMPOTENCY_INDEX).limit(1))
        return user_from(document) if document else None

    def with_id(self, user_id: ObjectId) -> User | None:
        """For operators: the user with this id, whoever's it is."""
        document = self._c.users.find_one({"_id": user_id}, WITHOUT_SECRETS, session=self._binding.session)
        return user_from(document) if document else None

    def named(self, username: str) -> User | None:
        """For operators: the user of this username, whoever's it is."""
        document = self._c.users.find_one({"username": names.as_stored(username)}, WITHOUT_SECRETS,
                                          session=self._binding.session)
        return user_from(document) if document else None

    def page_of(self, reseller_id: ObjectId, after: ObjectId | None, limit: int, *,
                customer_id: ObjectId | None = None, filters: ListFilters = NO_FILTERS) -> Page:
        """A page of the reseller's users (or of one customer's) that pass the filters, in creation order, after the
        user with id after."""
        owner = {"customerId": customer_id} if customer_id is not None else {}
        query = {"resellerId": reseller_id, **owner, **list_filter(filters, "username"), **after_id(after)}
        cursor = self._c.users.find(query, WITHOUT_SECRETS, session=self._binding.session)
        hint = users_index(filters, by_customer=customer_id is not None)
        return page(cursor.sort("_id", 1).hint(hint).limit(limit + 1), user_from, limit)

    def with_contact(self, *, email: str | None = None, phone_number: str | None = None, limit: int) -> list[User]:
        """For operators: the users (any reseller's) with this email address or phone number, by reseller and id."""
        query, hint = ({"email": email}, USERS_BY_EMAIL) if email is not None else \
            ({"phoneNumber": phone_number}, USERS_BY_PHONE_NUMBER)
        cursor = self._c.users.find(query, WITHOUT_SECRETS, session=self._binding.session)
        return [user_from(document) for document in cursor.sort([("resellerId", 1), ("_id", 1)]).hint(hint).limit(limit)]

    def count_of_customer(self, customer_id: ObjectId) -> int:
        """How many users the customer has."""
        return self._c.users.count_documents({"customerId": customer_id}, session=self._binding.session)

    def count_of_reseller(self, reseller_id: ObjectId, *, active: bool | None = None) -> int:
        """How many users the reseller's customers have (active or suspended ones only, when asked)."""
        query: dict[str, Any] = {"resellerId": reseller_id}
        if active is not None:
            query["active"] = active
        return self._c.users.count_documents(query, session=self._binding.session)

    def change(self, reseller_id: ObjectId, user_id: ObjectId, changes: dict[str, Any]) -> Changed | None:
        """Set (None: remove) fields of the reseller's user; the user as changed, or None when it has none of this id."""
        changed = self._c.majority[USERS].update_one({"_id": user_id, "resellerId": reseller_id},
                                                     stored_changes(USER_FIELDS, changes), session=self._binding.session)
        if changed.matched_count and None in (changes.get("limits") or {}).values():
            # No limit left: no limits object either (absent means the platform's defaults).
            self._c.majority[USERS].update_one({"_id": user_id, "limits": {}}, {"$unset": {"limits": ""}},
                                               session=self._binding.session)
        found = self.of(reseller_id, user_id=user_id) if changed.matched_count else None
        return Changed(found, True) if found else None

    def set_active(self, reseller_id: ObjectId, user_id: ObjectId, active: bool, by: str) -> Changed | None:
        """Suspend or resume the reseller's user, by the reseller or the operators (a change only when hold_filter
        allows it); the user as this request left it, or None."""
        changed = self._c.majority[USERS].update_one(
            {"_id": user_id, "resellerId": reseller_id, **hold_filter(active, by)}, hold_change(active, by),
            session=self._binding.session)
        found = self.of(reseller_id, user_id=user_id)
        if found is None:
            return None
        if not changed.modified_count:
            return Changed(found, False)
        return Changed(replace(found, active=active, suspended_by=None if active else by), True)

    def _users(self, durable: bool) -> Any:
        return self._c.durable[USERS] if durable else self._c.users
