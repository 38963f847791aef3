"""Input an attacker sends: malformed bodies, look-alike names, borrowed suffixes, characters that hide or reorder."""
import json
import urllib.parse

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.support.apps import RESELLER

CUSTOMER_CREATE = "/services/rest/customer/create"
USER_CREATE = "/services/rest/user/create"
CUSTOMER_USER_CREATE = "/services/rest/customer-user/create"
USER_FORM = {**RESELLER, "username": "u", "password": "p", "customerId": "5a4e96a030046095c7ef280f",
             "email": "a@b.com", "phoneNumber": "1"}


def nested(depth):
    return '{"type":"URL","data":' * depth + "1" + "}" * depth


def form(params):
    return urllib.parse.urlencode(params).encode()


@pytest.mark.parametrize("body, content_type", [
    (form({**USER_FORM, "moPush": '{"type":"URL","\\ud800":1}'}), "application/x-www-form-urlencoded"),
    (form({**USER_FORM, "moPush": '{"type":"URL","\\udfff":{"\\ud83d":1}}'}), "application/x-www-form-urlencoded"),
    (b'{"resellerName":"acme","resellerPassword":"x","moPush":{"type":"URL","type":"SMPP"}}', "application/json"),
    (b'{"resellerName":"acme","resellerPassword":"x","moPush":{"type":"URL","data":{"url":"x","url":"y"}}}',
     "application/json"),
    (('{"resellerName":"acme","resellerPassword":"x","moPush":' + nested(970) + "}").encode(), "application/json"),
    (form({**USER_FORM, "moPush": nested(970)}), "application/x-www-form-urlencoded"),
    (form({**USER_FORM, "moPush": nested(10000)}), "application/x-www-form-urlencoded"),
], ids=["surrogate key", "surrogate keys nested", "repeated key", "repeated data key", "nested 970 in JSON",
        "nested 970 in a form", "nested 10000 in a form"])
def test_a_malformed_push_config_is_status_1_without_credentials(client, body, content_type):
    response = client.post(USER_CREATE, data=body, content_type=content_type)
    assert (response.status_code, response.json["status"]) == (400, 1)


def test_a_key_quoted_back_in_a_message_is_escaped_not_echoed_raw(client):
    body = {**USER_FORM, "moPush": json.dumps({"type": "URL", "\u009b31mRED\u202e": 1, "\ud800x": 2})}
    message = client.post(USER_CREATE, data=form(body), content_type="application/x-www-form-urlencoded").json
    [text] = message["errors"]["moPush"]
    assert "\u009b" not in text and "\u202e" not in text and "\\x9b31mRED\\u202e" in text and "\\ud800x" in text


def test_a_json_body_nested_deeper_than_any_parameter_is_status_1(client):
    body = '{"resellerName": "acme", "junk": ' + "[" * 40 + "]" * 40 + "}"
    response = client.post(CUSTOMER_CREATE, data=body, content_type="application/json")
    assert (response.status_code, response.json["errors"]) == (400, {})
    assert "nested" in response.json["message"]


@pytest.mark.parametrize("first, second", [
    ("caf\u00e9", "cafe\u0301"),
    ("foo", "\uff46\uff4f\uff4f"),
    ("Acme-Shop", "acme-shop"),
    ("K9", "\u212a9"),
    ("stra\u00dfe", "STRASSE"),
])
def test_look_alike_names_are_one_name(client, reseller, db, first, second):
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": first}).status_code == 201
    response = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": second})
    assert (response.status_code, response.json["status"]) == (409, 3)
    assert db.customers.count_documents({}) == 1


def test_look_alike_usernames_are_one_username(client, reseller, customer_of):
    params = {**RESELLER, "password": "p", "customerId": customer_of(), "email": "a@b.com", "phoneNumber": "1"}
    assert client.post(USER_CREATE, data={**params, "username": "Jos\u00e9"}).status_code == 201
    response = client.post(USER_CREATE, data={**params, "username": "JOSE\u0301"})
    assert (response.status_code, response.json["status"]) == (409, 4)


def test_a_name_is_stored_in_its_composed_form(client, reseller, db):
    client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "cafe\u0301"})
    assert db.customers.find_one()["name"] == "caf\u00e9"


@pytest.mark.parametrize("name", ["p\u0430ypal", "\u0430pple", "g\u043e\u043egle", "\u03bfpenai", "abc\u0663"])
def test_a_name_mixing_writing_systems_is_refused(client, reseller, name):
    response = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": name})
    assert (response.status_code, list(response.json["errors"])) == (400, ["name"])


@pytest.mark.parametrize("name", ["\u6771\u4eactokyo", "\u3068\u3046\u304d\u3087\u3046-shop", "\uc11c\uc6b8seoul",
                                  "\u041c\u043e\u0441\u043a\u0432\u0430", "\u0391\u03b8\u03ae\u03bd\u03b1", "caf\u00e9-42"])
def test_a_name_in_one_writing_system_is_accepted(client, reseller, name):
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": name}).status_code == 201


@pytest.mark.parametrize("path, params, bad", [
    (CUSTOMER_CREATE, {"name": "555@other"}, ["name"]),
    (CUSTOMER_CREATE, {"name": "555@acme.evil"}, ["name"]),
    (CUSTOMER_CREATE, {"name": "555\uff20other"}, ["name"]),
    (CUSTOMER_CREATE, {"name": "555\ufe6bother"}, ["name"]),
    (CUSTOMER_USER_CREATE, {"customer": "555@other", "username": "555@other", "password": "p",
                            "applyFreeCredits": "false"}, ["customer", "username"]),
])
def test_a_name_with_at_must_end_with_the_callers_reseller_name(client, reseller, path, params, bad):
    response = client.post(path, data={**RESELLER, **params})
    assert (response.status_code, sorted(response.json["errors"])) == (400, bad)


def test_a_name_with_a_full_width_at_and_the_callers_reseller_name_is_the_callers(client, reseller):
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "555\uff20acme"}).status_code == 201
    response = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "555@ACME"})
    assert (response.status_code, response.json["status"]) == (409, 3)


@pytest.mark.parametrize("name", ["a\u034fb", "ab\ufe0f", "a\u3164b", "\u115fab", "a\uffa0b", "a\u00adb", "a\u180bb",
                                  "a\u17b4b", "a\U000e0101", "a\U0001d173b", "a\U000e0041"],
                         ids=["grapheme joiner", "variation selector", "hangul filler", "choseong filler",
                              "half-width filler", "soft hyphen", "mongolian selector", "khmer vowel",
                              "supplementary selector", "musical format", "tag letter"])
def test_a_name_with_a_character_no_one_can_see_is_refused(client, reseller, name):
    response = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": name})
    assert (response.status_code, response.json["errors"]["name"]) == (400, ["must not contain invisible characters"])


@pytest.mark.parametrize("name", ["a\u0378", "a\ue000", "a\U000f0000"], ids=["unassigned", "private use", "plane 15"])
def test_a_name_with_an_unassigned_or_private_use_code_point_is_refused(client, reseller, name):
    response = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": name})
    assert (response.status_code, list(response.json["errors"])) == (400, ["name"])


def test_the_length_of_a_name_is_counted_after_composing_it(client, reseller):
    # U+FB2C (a Hebrew presentation form) is three characters in NFC.
    refused = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "\ufb2c" * 43})
    assert refused.json["errors"]["name"] == ["must be at most 128 characters long"]
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "\ufb2c" * 42}).status_code == 201


def test_a_name_typed_decomposed_counts_as_long_as_it_is_stored(client, reseller, db):
    decomposed = "e\u0301" * 100  # 200 characters as sent, 100 × é as stored
    assert client.post(CUSTOMER_CREATE, data={**RESELLER, "name": decomposed}).status_code == 201
    assert db.customers.find_one({"name": "\u00e9" * 100}) is not None


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_a_line_or_paragraph_separator_in_one_line_text_is_refused(client, reseller, separator):
    response = client.post(CUSTOMER_CREATE, data={**RESELLER, "name": "shop", "integrationId": f"a{separator}b"})
    assert response.json["errors"] == {"integrationId": ["must not contain control characters"]}


def test_another_reseller_cannot_take_a_phone_app_name_of_acme(client, reseller, make_reseller):
    make_reseller("other", "other secret")
    taken = client.post(CUSTOMER_CREATE, data={"resellerName": "other", "resellerPassword": "other secret",
                                               "name": "555@acme"})
    assert taken.status_code == 400
    mine = client.post(CUSTOMER_USER_CREATE, data={**RESELLER, "customer": "555@acme", "username": "555@ACME",
                                                   "password": "p", "applyFreeCredits": "true"})
    assert mine.status_code == 201


def multipart(parts):
    boundary = "XyZ"
    body = b"".join(b'--XyZ\r\nContent-Disposition: form-data; name="' + key.encode() + b'"\r\n\r\n' + value + b"\r\n"
                    for key, value in parts) + b"--XyZ--\r\n"
    return body, f"multipart/form-data; boundary={boundary}"


def bodies_with(integration_id: bytes):
    """The same customer/create with this integrationId's bytes, in the three body forms."""
    credentials = [(key, value.encode()) for key, value in {**RESELLER, "name": "shop"}.items()]
    urlencoded = form(dict(credentials)) + b"&integrationId=" + urllib.parse.quote_from_bytes(integration_id).encode()
    json_body = json.dumps({**RESELLER, "name": "shop", "integrationId": integration_id.decode("utf-8", "surrogateescape")},
                           ensure_ascii=False).encode("utf-8", "surrogateescape")
    return [(urlencoded, "application/x-www-form-urlencoded"), multipart([*credentials, ("integrationId", integration_id)]),
            (json_body, "application/json")]


@pytest.mark.parametrize("form_index", [0, 1, 2], ids=["urlencoded", "multipart", "json"])
def test_a_replacement_character_that_is_valid_utf8_is_accepted_in_every_body_form(client, reseller, db, form_index):
    body, content_type = bodies_with("a\ufffdb".encode())[form_index]
    assert client.post(CUSTOMER_CREATE, data=body, content_type=content_type).status_code == 201
    assert db.customers.find_one()["integrationId"] == "a\ufffdb"


@pytest.mark.parametrize("form_index", [0, 1], ids=["urlencoded", "multipart"])
def test_bytes_that_are_not_utf8_are_refused_in_every_form_body(client, reseller, form_index):
    body, content_type = bodies_with(b"a\xffb")[form_index]
    response = client.post(CUSTOMER_CREATE, data=body, content_type=content_type)
    assert response.json["errors"] == {"integrationId": ["must be valid UTF-8 text"]}


def test_bytes_that_are_not_utf8_are_refused_in_a_json_body(client, reseller):
    body, content_type = bodies_with(b"a\xffb")[2]
    assert client.post(CUSTOMER_CREATE, data=body, content_type=content_type).json["status"] == 1


@pytest.mark.parametrize("path, params, field", [
    (CUSTOMER_CREATE, {"name": "shop", "integrationId": "crm\u202e42"}, "integrationId"),
    (CUSTOMER_USER_CREATE, {"customer": "c", "username": "c", "password": "p", "applyFreeCredits": "true",
                            "contactName": "John \u2067Doe"}, "contactName"),
    (CUSTOMER_USER_CREATE, {"customer": "c", "username": "c", "password": "p", "applyFreeCredits": "true",
                            "contactName": "John \u200fDoe"}, "contactName"),
])
def test_text_direction_controls_are_refused_in_every_text(client, reseller, path, params, field):
    response = client.post(path, data={**RESELLER, **params})
    assert response.json["errors"] == {field: ["must not contain text direction controls"]}


def test_an_unknown_path_with_hidden_characters_is_quoted_back_escaped(client):
    response = client.post("/services/rest/%E2%80%AEetaerc%C2%9B31m")
    assert response.status_code == 404
    assert "\u202e" not in response.json["message"] and "\u009b" not in response.json["message"]


def test_a_json_body_sent_as_a_form_is_told_how_to_send_it(client):
    response = client.post(CUSTOMER_CREATE, data=json.dumps({**RESELLER, "name": "shop"}),
                           content_type="application/x-www-form-urlencoded")
    assert (response.status_code, response.json["errors"]) == (400, {})
    assert "looks like JSON" in response.json["message"] and "application/json" in response.json["message"]


# Characters that broke answers before: lone surrogates, C0 and C1 controls, direction controls, U+FFFD.
AWKWARD = st.sampled_from(["\ud800", "\udfff", "\x00", "\x1b", "\u009b", "\u202e", "\u2067", "\ufffd", "\u200b"])
TEXT = st.text(alphabet=st.sampled_from('azAZ09 _.@{}"') | AWKWARD | st.characters(codec=None), max_size=20)
KEYS = st.sampled_from(["type", "data", "url", "to", "subject", "body"]) | TEXT
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
) | st.integers(1, 400).map(lambda depth: json.loads("[" * depth + "]" * depth))


def as_form_value(value):
    return value if isinstance(value, str) else json.dumps(value)


def every_field():
    """(endpoint, parameter) for every parameter of every endpoint, as the endpoints are declared."""
    from app.web.endpoints import api

    return [(endpoint.path, field.data_key or name) for endpoint in sorted(api.declared, key=lambda e: e.path)
            if endpoint.request for name, field in endpoint.request().fields.items()]


def send(client, path, params, body_form):
    """POST params in one of the three body forms; JSON values go into forms as JSON text."""
    if body_form == "json":
        return client.post(f"/services/rest/{path}", data=json.dumps(params).encode(), content_type="application/json")
    encoded = [(key.encode(), as_form_value(value).encode("utf-8", "surrogatepass")) for key, value in params.items()]
    if body_form == "urlencoded":
        body = b"&".join(urllib.parse.quote_from_bytes(key).encode() + b"=" + urllib.parse.quote_from_bytes(value).encode()
                         for key, value in encoded)
        return client.post(f"/services/rest/{path}", data=body, content_type="application/x-www-form-urlencoded")
    body, content_type = multipart([(key.decode(), value) for key, value in encoded])
    return client.post(f"/services/rest/{path}", data=body, content_type=content_type)


@pytest.mark.parametrize("path, field", every_field())
def test_no_value_of_a_parameter_makes_the_service_fail(session_app, db, path, field):
    """Arbitrary JSON values (lone surrogates, controls, deep nesting among them), in the three body forms: never a
    5xx, always the contract's shape."""

    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(value=JSON_VALUES, body_form=st.sampled_from(["urlencoded", "multipart", "json"]))
    @example(value={"type": "URL", "\ud800": 1}, body_form="urlencoded")
    @example(value={"type": "EMAIL", "data": {"to": "a@b.com", "\udfff\u009b": "x"}}, body_form="json")
    @example(value=json.loads("[" * 400 + "]" * 400), body_form="multipart")
    def fuzz(value, body_form):
        response = send(session_app.test_client(), path, {**RESELLER, field: value}, body_form)
        assert response.status_code < 500, (value, body_form, response.get_data()[:300])
        answer = response.json
        assert isinstance(answer["status"], int)
        if response.status_code >= 400:
            assert isinstance(answer["message"], str) and "requestId" in answer

    fuzz()
