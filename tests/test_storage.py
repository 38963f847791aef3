"""What the service stores: the indexes the other components rely on, created idempotently."""
from app.repository import INDEXES, Repository


def index_keys(db, collection):
    return {tuple(info["key"]): bool(info.get("unique")) for info in db[collection].index_information().values()}


def test_the_contract_indexes_exist_with_the_right_uniqueness(db):
    assert index_keys(db, "resellers")[(("name", 1),)] is True
    assert index_keys(db, "customers")[(("name", 1),)] is True
    assert index_keys(db, "customers")[(("resellerId", 1),)] is False
    assert index_keys(db, "users")[(("username", 1),)] is True
    assert index_keys(db, "users")[(("customerId", 1),)] is False
    assert index_keys(db, "credit_transactions")[(("customerId", 1),)] is False


def test_creating_the_indexes_again_changes_nothing(db):
    before = {name: db[name].index_information() for name in INDEXES}
    Repository(db).ensure_indexes()
    after = {name: db[name].index_information() for name in before}
    assert after == before
