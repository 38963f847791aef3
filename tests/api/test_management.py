"""Resellers see, list, correct, suspend and resume what they created: customer/* and user/* beside the creates."""
import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest
from bson import ObjectId

from tests.support.apps import RESELLER
from tests.support.database import trail

OTHER = {"resellerName": "other", "resellerPassword": "other secret"}
BASE = "/services/rest/"


def post(client, path, credentials=RESELLER, **params):
    return client.post(BASE + path, data={**credentials, **params}, headers={"X-Request-ID": "same-request"})


@pytest.fixture
def shop(client, reseller):
    """acme's customer 'shop' with its user 'jdoe'; returns their ids."""
    customer_id = post(client, "customer/create", name="shop").json["id"]
    user_id = post(client, "user/create", username="jdoe", password="user secret", customerId=customer_id,
                   email="j@doe.com", phoneNumber="+48 1", moPush='{"type": "SMPP"}').json["id"]
    return customer_id, user_id


def test_customer_get_answers_the_customer_with_every_field(client, shop):
    customer_id, _ = shop
    response = post(client, "customer/get", customerId=customer_id)
    assert (response.status_code, response.json["status"]) == (200, 0)
    customer = response.json["customer"]
    created_at = customer.pop("createdAt")
    assert customer == {"id": customer_id, "name": "shop", "integrationId": "", "rotationAlgorithm": "MAX_ROTATION",
                        "billingType": "POST_PAID", "moCharge": 0, "credits": 0, "active": True}
    assert created_at.endswith("Z") and "T" in created_at


def test_user_get_answers_by_id_or_by_username_without_any_secret(client, shop):
    customer_id, user_id = shop
    by_id = post(client, "user/get", userId=user_id).json
    by_name = post(client, "user/get", username="jdoe").json
    assert by_id == by_name
    user = by_id["user"]
    assert {key: user[key] for key in ("id", "username", "customerId", "email", "phoneNumber", "moPush", "active")} == {
        "id": user_id, "username": "jdoe", "customerId": customer_id, "email": "j@doe.com", "phoneNumber": "+48 1",
        "moPush": {"type": "SMPP"}, "active": True}
    assert "virtualNumber" not in user and "contactName" not in user
    assert "password" not in str(by_id).lower() and "$argon2" not in str(by_id)


@pytest.mark.parametrize("params, message", [({}, "is required (or username)"),
                                             ({"userId": "5a4e96a030046095c7ef280f", "username": "u"},
                                              "give userId or username, not both")])
def test_user_get_needs_exactly_one_of_id_and_username(client, reseller, params, message):
    response = post(client, "user/get", **params)
    assert (response.status_code, response.json["errors"]) == (400, {"userId": [message]})


def test_lists_page_in_creation_order_until_next_is_null(client, reseller):
    made = [post(client, "customer/create", name=f"c{number}").json["id"] for number in range(5)]
    seen, after = [], None
    while True:
        answer = post(client, "customer/list", limit="2", **({"after": after} if after else {})).json
        seen += [customer["id"] for customer in answer["customers"]]
        after = answer["next"]
        if after is None:
            break
        assert len(answer["customers"]) == 2
    assert seen == made


def test_a_list_shows_only_the_callers_own(client, shop, make_reseller):
    make_reseller(OTHER["resellerName"], OTHER["resellerPassword"])
    post(client, "customer/create", OTHER, name="theirs")
    assert [c["name"] for c in post(client, "customer/list").json["customers"]] == ["shop"]
    assert [c["name"] for c in post(client, "customer/list", OTHER).json["customers"]] == ["theirs"]
    assert post(client, "user/list", OTHER).json == {"status": 0, "users": [], "next": None}


def test_user_list_takes_one_customers_users(client, shop):
    customer_id, user_id = shop
    second = post(client, "customer/create", name="second").json["id"]
    post(client, "user/create", username="other-user", password="p", customerId=second, email="a@b.com", phoneNumber="1")
    assert [u["id"] for u in post(client, "user/list", customerId=customer_id).json["users"]] == [user_id]
    assert [u["username"] for u in post(client, "user/list").json["users"]] == ["jdoe", "other-user"]


@pytest.mark.parametrize("params, bad", [({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"),
                                         ({"after": "nope"}, "after"), ({"limit": "ten"}, "limit")])
def test_list_parameters_are_checked(client, reseller, params, bad):
    response = post(client, "customer/list", **params)
    assert (response.status_code, list(response.json["errors"])) == (400, [bad])


def test_customer_update_changes_the_settings_given_and_records_which(client, shop, db):
    customer_id, _ = shop
    response = post(client, "customer/update", customerId=customer_id, billingType="PRE_PAID", moCharge="7",
                    integrationId="crm-9")
    assert response.status_code == 200
    assert {k: response.json["customer"][k] for k in ("billingType", "moCharge", "integrationId", "name")} == {
        "billingType": "PRE_PAID", "moCharge": 7, "integrationId": "crm-9", "name": "shop"}
    [entry] = trail(db, {"customerId": ObjectId(customer_id)})
    assert (entry["action"], entry["fields"]) == ("customer.update", ["billingType", "integrationId", "moCharge"])


@pytest.mark.parametrize("params, bad", [({"billingType": "FREE"}, "billingType"), ({"moCharge": "4.5"}, "moCharge"),
                                         ({"customerId": "x"}, "customerId")])
def test_customer_update_checks_each_setting_as_the_create_does(client, shop, params, bad):
    response = post(client, "customer/update", **{"customerId": shop[0], **params})
    assert (response.status_code, list(response.json["errors"])) == (400, [bad])


def test_an_update_with_nothing_to_change_is_status_1(client, shop):
    response = post(client, "customer/update", customerId=shop[0], mocharge="7")
    assert (response.status_code, response.json["status"], response.json["errors"]) == (400, 1, {})
    assert "nothing to change" in response.json["message"]
    assert post(client, "user/update", userId=shop[1]).json["status"] == 1


def test_user_update_sets_and_clears_details_and_hashes_a_new_password(client, shop, db):
    _, user_id = shop
    response = post(client, "user/update", userId=user_id, contactName="John Doe", virtualNumber="+48 2",
                    password="new secret", clear="moPush")
    user = response.json["user"]
    assert (user["contactName"], user["virtualNumber"], "moPush" in user) == ("John Doe", "+48 2", False)
    stored = db.users.find_one({"_id": ObjectId(user_id)})
    assert "moPush" not in stored and stored["passwordHash"].startswith("$argon2id$")
    assert "new secret" not in str(stored)
    [entry] = trail(db, {"userId": ObjectId(user_id)})
    assert entry["fields"] == ["contactName", "moPush", "password", "virtualNumber"]


def test_user_update_refuses_a_field_given_and_cleared(client, shop):
    response = post(client, "user/update", userId=shop[1], moPush='{"type": "SMPP"}', clear="moPush,contactName")
    assert response.json["errors"] == {"moPush": ["is both given and cleared"]}


@pytest.mark.parametrize("clear", ["email", "username", "moPush,password"])
def test_only_optional_details_can_be_cleared(client, shop, clear):
    response = post(client, "user/update", userId=shop[1], clear=clear)
    assert (response.status_code, list(response.json["errors"])) == (400, ["clear"])


@pytest.mark.parametrize("params, bad", [({"email": "nope"}, "email"), ({"phoneNumber": "abc"}, "phoneNumber"),
                                         ({"moPush": '{"type": "URL", "data": {"url": "http://127.0.0.1/"}}'}, "moPush"),
                                         ({"password": "p" * 129}, "password"), ({"nickname": "renamed"}, None)])
def test_user_update_checks_each_detail_as_the_create_does(client, shop, params, bad):
    response = post(client, "user/update", userId=shop[1], **params)
    if bad is None:
        assert "nothing to change" in response.json["message"]
    else:
        assert (response.status_code, list(response.json["errors"])) == (400, [bad])


@pytest.mark.parametrize("kind", ["customer", "user"])
def test_suspend_and_resume_set_active_and_record_only_real_changes(client, shop, db, kind):
    customer_id, user_id = shop
    key, value = ("customerId", customer_id) if kind == "customer" else ("userId", user_id)
    answers = [post(client, f"{kind}/{action}", **{key: value}).json[kind]["active"]
               for action in ("suspend", "suspend", "resume", "resume")]
    assert answers == [False, False, True, True]
    changes = trail(db, {key: ObjectId(value), **({"userId": None} if kind == "customer" else {})})
    assert [entry["action"] for entry in changes] == [f"{kind}.suspend", f"{kind}.resume"]


def test_documents_from_before_suspensions_count_as_active(client, shop, db):
    customer_id, user_id = shop
    db.customers.update_one({"_id": ObjectId(customer_id)}, {"$unset": {"active": ""}})
    db.users.update_one({"_id": ObjectId(user_id)}, {"$unset": {"active": ""}})
    assert post(client, "customer/get", customerId=customer_id).json["customer"]["active"] is True
    assert post(client, "user/resume", userId=user_id).json["user"]["active"] is True
    assert trail(db, {"userId": ObjectId(user_id)}) == []


def test_unknown_ids_are_404_status_5_and_9(client, reseller):
    assert post(client, "customer/get", customerId=str(ObjectId())).json["status"] == 5
    assert post(client, "user/get", userId=str(ObjectId())).json["status"] == 9
    assert post(client, "user/get", username="ghost").json["status"] == 9


def object_requests(customer_id, user_id):
    """Every endpoint that takes a customer or a user, with parameters valid for it."""
    return [
        ("customer/get", {"customerId": customer_id}),
        ("customer/get", {"name": "shop"}),
        ("customer/update", {"customerId": customer_id, "moCharge": "9"}),
        ("customer/update", {"customerId": customer_id, "moCharge": "9", "dryRun": "true"}),
        ("customer/suspend", {"customerId": customer_id}),
        ("customer/suspend", {"customerId": customer_id, "dryRun": "true"}),
        ("customer/resume", {"customerId": customer_id}),
        ("customer/resume", {"customerId": customer_id, "dryRun": "true"}),
        ("user/list", {"customerId": customer_id}),
        ("user/create", {"customerId": customer_id, "username": "intruder", "password": "p", "email": "a@b.com",
                         "phoneNumber": "1"}),
        ("user/create", {"customerId": customer_id, "username": "intruder", "password": "p", "email": "a@b.com",
                         "phoneNumber": "1", "dryRun": "true"}),
        ("user/get", {"userId": user_id}),
        ("user/get", {"username": "jdoe"}),
        ("user/update", {"userId": user_id, "contactName": "Mallory", "password": "taken over"}),
        ("user/update", {"userId": user_id, "contactName": "Mallory", "dryRun": "true"}),
        ("user/suspend", {"userId": user_id}),
        ("user/suspend", {"userId": user_id, "dryRun": "true"}),
        ("user/resume", {"userId": user_id}),
        ("user/resume", {"userId": user_id, "dryRun": "true"}),
    ]


@pytest.mark.parametrize("index", range(len(object_requests("c", "u"))),
                         ids=[f"{path}:{','.join(params)}" for path, params in object_requests("c", "u")])
def test_another_resellers_object_is_answered_exactly_like_none_and_nothing_changes(client, shop, make_reseller, db,
                                                                                   index):
    make_reseller(OTHER["resellerName"], OTHER["resellerPassword"])
    before = (list(db.customers.find()), list(db.users.find()))
    path, params = object_requests(*shop)[index]
    foreign = post(client, path, OTHER, **params)
    missing_ids = {key: (str(ObjectId()) if key in ("customerId", "userId") else "nobody-has-this")
                   for key in ("customerId", "userId", "username", "name") if key in params}
    missing = post(client, path, OTHER, **{**params, **missing_ids})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_data() == missing.get_data()
    assert (list(db.customers.find()), list(db.users.find())) == before


def test_a_disabled_resellers_customers_and_users_stay_out_of_everyone_elses_reach(client, runner, shop,
                                                                                   make_reseller, db):
    make_reseller(OTHER["resellerName"], OTHER["resellerPassword"])
    assert runner.invoke(args=["reseller", "disable", "acme"]).exit_code == 0
    before = (list(db.customers.find()), list(db.users.find()))
    assert post(client, "customer/get", customerId=shop[0]).status_code == 401
    for path, params in object_requests(*shop):
        assert post(client, path, OTHER, **params).status_code == 404, path
    assert post(client, "customer/list", OTHER).json["customers"] == []
    assert (list(db.customers.find()), list(db.users.find())) == before


@pytest.mark.parametrize("path, params", [
    ("customer/create", {"name": "shop2"}),
    ("user/create", {"username": "u2", "password": "p", "email": "a@b.com", "phoneNumber": "1"}),
    ("customer-user/create", {"customer": "c2", "username": "u2", "password": "p", "applyFreeCredits": "true"}),
])
def test_a_dry_run_checks_everything_and_writes_nothing(client, shop, db, path, params):
    if path == "user/create":
        params = {**params, "customerId": shop[0]}
    before = (list(db.customers.find()), list(db.users.find()), list(db.credit_transactions.find()))
    response = client.post(BASE + path, data={**RESELLER, **params, "dryRun": "true"}, headers={"Idempotency-Key": "k"})
    assert (response.status_code, response.json) == (200, {"status": 0, "dryRun": True})
    assert (list(db.customers.find()), list(db.users.find()), list(db.credit_transactions.find())) == before
    real = client.post(BASE + path, data={**RESELLER, **params}, headers={"Idempotency-Key": "k"})
    assert real.status_code == 201 and "Idempotent-Replayed" not in real.headers


@pytest.mark.parametrize("path, params, status", [
    ("customer/create", {"name": "SHOP"}, 3),
    ("user/create", {"username": "JDoe", "password": "p", "email": "a@b.com", "phoneNumber": "1"}, 4),
    ("user/create", {"username": "u3", "password": "p", "email": "a@b.com", "phoneNumber": "1",
                     "customerId": str(ObjectId())}, 5),
    ("customer-user/create", {"customer": "shop", "username": "u3", "password": "p", "applyFreeCredits": "true"}, 3),
    ("customer-user/create", {"customer": "c3", "username": "jdoe", "password": "p", "applyFreeCredits": "true"}, 4),
])
def test_a_dry_run_answers_the_error_the_create_would(client, shop, path, params, status):
    params = {"customerId": shop[0], **params} if path == "user/create" else params
    response = post(client, path, **params, dryRun="true")
    assert response.json["status"] == status


@pytest.mark.parametrize("kind", ["customer", "user"])
def test_concurrent_suspensions_and_resumptions_each_answer_the_change_they_made(app, shop, db, kind):
    customer_id, user_id = shop
    key, value = ("customerId", customer_id) if kind == "customer" else ("userId", user_id)
    actions = ["suspend", "resume"] * 20

    def act(action):
        return action, post(app.test_client(), f"{kind}/{action}", **{key: value})

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(act, actions))
    assert {response.status_code for _, response in answers} == {200}
    assert all(response.json[kind]["active"] is (action == "resume") for action, response in answers)
    changes = trail(db, {key: ObjectId(value), **({"userId": None} if kind == "customer" else {})})
    actions_recorded = [entry["action"] for entry in changes]
    assert all(first != second for first, second in itertools.pairwise(actions_recorded))
