"""Bodies as urlencoded forms, multipart forms and JSON, and the rules that hold for every parameter."""
import json

import pytest

from tests.support.apps import RESELLER

URL = "/services/rest/customer/create"


def test_a_multipart_form_is_accepted(client, reseller, db):
    response = client.post(URL, data={**RESELLER, "name": "shop"}, content_type="multipart/form-data")
    assert response.status_code == 201
    assert db.customers.count_documents({"name": "shop"}) == 1


def test_a_multipart_file_part_is_read_as_the_parameter_value(client, reseller, customer_of, db):
    import io

    params = {
        **RESELLER, "username": "u", "password": "p", "customerId": customer_of(), "email": "a@b.com",
        "phoneNumber": "1", "moPush": (io.BytesIO(b'{"type": "SMPP"}'), "push.json"),
    }
    response = client.post("/services/rest/user/create", data=params, content_type="multipart/form-data")
    assert response.status_code == 201
    assert db.users.find_one({"username": "u"})["moPush"] == {"type": "SMPP"}


def test_a_json_body_is_accepted_with_json_types(client, reseller, customer_of, db):
    response = client.post(
        "/services/rest/user/create",
        json={
            **RESELLER, "username": "u", "password": "p", "customerId": customer_of(), "email": "a@b.com",
            "phoneNumber": "1", "moPush": {"type": "URL", "data": {"url": "http://a.example"}},
            "finalStatusPush": '{"type": "SMPP"}', "swappingSourceAddressAllowed": True,
        },
    )
    assert response.status_code == 201
    stored = db.users.find_one({"username": "u"})
    assert stored["moPush"] == {"type": "URL", "data": {"url": "http://a.example"}}
    assert stored["finalStatusPush"] == {"type": "SMPP"}
    assert stored["swappingSourceAddressAllowed"] is True


@pytest.mark.parametrize("mo_charge", [42, "42"])
def test_json_mo_charge_is_an_integer_or_a_string_of_digits(client, reseller, db, mo_charge):
    assert client.post(URL, json={**RESELLER, "name": "shop", "moCharge": mo_charge}).status_code == 201
    assert db.customers.find_one({"name": "shop"})["moCharge"] == 42


@pytest.mark.parametrize(
    "params, bad",
    [
        ({"moCharge": 4.5}, "moCharge"),
        ({"moCharge": 1000.0}, "moCharge"),
        ({"moCharge": True}, "moCharge"),
        ({"moCharge": [1]}, "moCharge"),
        ({"name": 42}, "name"),
        ({"name": ["shop"]}, "name"),
        ({"name": {"a": 1}}, "name"),
        ({"integrationId": False}, "integrationId"),
    ],
)
def test_json_values_of_the_wrong_type_are_status_1(client, reseller, params, bad):
    response = client.post(URL, json={**RESELLER, "name": "shop", **params})
    assert (response.status_code, response.json["status"], list(response.json["errors"])) == (400, 1, [bad])


def test_a_json_string_with_a_lone_surrogate_is_refused_on_its_parameter(client, reseller):
    body = b'{"resellerName": "acme", "resellerPassword": "acme secret", "name": "lone\\ud800surrogate"}'
    response = client.post(URL, data=body, content_type="application/json")
    assert response.json["errors"] == {"name": ["must be valid Unicode text"]}


@pytest.mark.parametrize(
    "params, message",
    [
        ({"moCharge": True}, "must be a whole number from 0 to 1000000000"),
        ({"moCharge": [1]}, "must be a whole number from 0 to 1000000000"),
        ({"billingType": 1}, "must be one of: PRE_PAID, POST_PAID"),
    ],
)
def test_a_json_value_of_the_wrong_type_is_told_what_it_must_be(client, reseller, params, message):
    response = client.post(URL, json={**RESELLER, "name": "shop", **params})
    assert response.json["errors"] == {next(iter(params)): [message]}


def test_json_booleans_and_strings_are_both_booleans(client, reseller, db):
    body = {**RESELLER, "customer": "c", "username": "u", "password": "p", "applyFreeCredits": True}
    assert client.post("/services/rest/customer-user/create", json=body).status_code == 201
    body.update(customer="d", username="v", applyFreeCredits="FaLsE")
    assert client.post("/services/rest/customer-user/create", json=body).status_code == 201
    assert [c["credits"] for c in db.customers.find({}, sort=[("name", 1)])] == [10, 0]


def test_a_parameter_given_twice_in_a_form_is_an_error_on_it(client, reseller, db):
    response = client.post(URL, data="resellerName=acme&resellerPassword=acme+secret&name=a&name=b",
                           content_type="application/x-www-form-urlencoded")
    assert response.json["errors"] == {"name": ["is given more than once"]}
    assert db.customers.count_documents({}) == 0


def test_a_parameter_given_twice_in_a_json_object_is_an_error_on_it(client, reseller):
    body = '{"resellerName": "acme", "resellerPassword": "acme secret", "name": "a", "name": "b"}'
    response = client.post(URL, data=body, content_type="application/json")
    assert response.json["errors"] == {"name": ["is given more than once"]}


def test_empty_optional_parameters_are_not_given(client, reseller, db):
    response = client.post(URL, data={**RESELLER, "name": "shop", "moCharge": "", "billingType": "", "integrationId": ""})
    assert response.status_code == 201
    stored = db.customers.find_one({"name": "shop"})
    assert (stored["moCharge"], stored["billingType"]) == (0, "POST_PAID")


def test_json_null_optional_parameters_are_not_given(client, reseller):
    assert client.post(URL, json={**RESELLER, "name": "shop", "moCharge": None}).status_code == 201


def test_an_empty_required_parameter_is_required(client, reseller):
    response = client.post(URL, data={**RESELLER, "name": ""})
    assert response.json["errors"] == {"name": ["is required"]}


def test_unknown_parameters_are_ignored(client, reseller, db):
    assert client.post(URL, data={**RESELLER, "name": "shop", "colour": "blue", "name2": "x"}).status_code == 201
    assert "colour" not in db.customers.find_one({"name": "shop"})


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"', "\xff\xfe", "[" * 100000])
def test_a_json_body_that_is_not_an_object_is_status_1(client, body):
    response = client.post(URL, data=body.encode("latin-1"), content_type="application/json")
    assert (response.status_code, response.json["status"]) == (400, 1)
    assert response.json["errors"] == {}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-le"])
def test_a_json_body_in_another_encoding_than_utf8_is_refused(client, reseller, encoding, db):
    body = json.dumps({**RESELLER, "name": "shop"}).encode(encoding)
    response = client.post(URL, data=body, content_type="application/json")
    assert (response.status_code, response.json["status"], response.json["errors"]) == (400, 1, {})
    assert db.customers.count_documents({}) == 0


def test_a_json_body_after_a_utf8_byte_order_mark_is_read(client, reseller, db):
    body = json.dumps({**RESELLER, "name": "shop"}).encode("utf-8-sig")
    assert client.post(URL, data=body, content_type="application/json").status_code == 201
    assert db.customers.count_documents({"name": "shop"}) == 1


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/octet-stream"])
def test_an_unsupported_content_type_is_415_status_1(client, content_type):
    response = client.post(URL, data=b"name=shop", content_type=content_type)
    assert (response.status_code, response.json["status"]) == (415, 1)
    assert "application/json" in response.json["message"]


def test_a_post_without_body_reports_the_missing_parameters(client):
    response = client.post(URL)
    assert (response.status_code, response.json["status"]) == (400, 1)
    assert "resellerName" in response.json["errors"]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "application/json"])
def test_a_body_over_one_mebibyte_is_413_status_1(client, content_type):
    response = client.post(URL, data=b"x" * (1024 * 1024 + 1), content_type=content_type)
    assert (response.status_code, response.json["status"]) == (413, 1)


def test_a_body_just_under_the_limit_is_read(client, reseller):
    padding = "p" * (1024 * 1024 - 200)
    response = client.post(URL, data={**RESELLER, "name": "shop", "padding": padding})
    assert response.status_code == 201


def test_a_success_body_is_json_that_reads_well_in_a_terminal(client, reseller):
    response = client.post(URL, data={**RESELLER, "name": "shop"})
    assert response.mimetype == "application/json"
    assert response.get_data(as_text=True).endswith("\n")
    assert list(json.loads(response.get_data())) == ["id", "status"]


# gunicorn decodes chunked bodies itself and says so with wsgi.input_terminated.
CHUNKED_AS_GUNICORN_SERVES_IT = {"wsgi.input_terminated": True}


def test_a_chunked_body_over_one_mebibyte_is_413_not_cut_short(client, reseller, db):
    import io

    body = f"resellerName=acme&resellerPassword=acme+secret&name=cut&pad={'x' * (1024 * 1024)}&moCharge=12345".encode()
    response = client.post(URL, input_stream=io.BytesIO(body), content_type="application/x-www-form-urlencoded",
                           headers={"Transfer-Encoding": "chunked"}, environ_overrides=CHUNKED_AS_GUNICORN_SERVES_IT)
    assert (response.status_code, response.json["status"]) == (413, 1)
    assert db.customers.count_documents({}) == 0


def test_a_chunked_body_under_the_limit_is_read_whole(client, reseller, db):
    import io

    body = b"resellerName=acme&resellerPassword=acme+secret&name=chunked&moCharge=12345"
    response = client.post(URL, input_stream=io.BytesIO(body), content_type="application/x-www-form-urlencoded",
                           headers={"Transfer-Encoding": "chunked"}, environ_overrides=CHUNKED_AS_GUNICORN_SERVES_IT)
    assert response.status_code == 201
    assert db.customers.find_one({"name": "chunked"})["moCharge"] == 12345


def test_a_multipart_form_of_many_small_parts_is_read(client, reseller):
    params = {**RESELLER, "name": "shop", **{f"extra{n}": "x" for n in range(1500)}}
    assert client.post(URL, data=params, content_type="multipart/form-data").status_code == 201


@pytest.mark.parametrize("raw_name", [b"caf\xe9", b"caf%E9", b"%ff%fe"])
def test_a_urlencoded_value_that_is_not_utf8_is_refused_on_its_parameter(client, reseller, db, raw_name):
    body = b"resellerName=acme&resellerPassword=acme+secret&name=" + raw_name
    response = client.post(URL, data=body, content_type="application/x-www-form-urlencoded")
    assert response.json["errors"] == {"name": ["must be valid UTF-8 text"]}
    assert db.customers.count_documents({}) == 0


def test_a_urlencoded_utf8_value_is_decoded(client, reseller, db):
    body = "resellerName=acme&resellerPassword=acme+secret&name=caf%C3%A9-€".encode()
    assert client.post(URL, data=body, content_type="application/x-www-form-urlencoded").status_code == 201
    assert db.customers.count_documents({"name": "café-€"}) == 1


def test_a_multipart_value_that_is_not_utf8_is_refused_on_its_parameter(client, reseller):
    boundary = "XyZ"
    parts = [(b"resellerName", b"acme"), (b"resellerPassword", b"acme secret"), (b"name", b"caf\xe9")]
    body = b"".join(
        b"--XyZ\r\nContent-Disposition: form-data; name=\"" + key + b"\"\r\n\r\n" + value + b"\r\n" for key, value in parts
    ) + b"--XyZ--\r\n"
    response = client.post(URL, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.json["errors"] == {"name": ["must be valid UTF-8 text"]}


@pytest.mark.parametrize(
    "content_type, body, message",
    [
        ("multipart/form-data", b"--x\r\n", "the multipart body has no boundary in its Content-Type"),
        ("multipart/form-data; boundary=XyZ", b"this is not multipart", "the multipart body is malformed"),
    ],
)
def test_a_malformed_multipart_body_says_so(client, content_type, body, message):
    response = client.post(URL, data=body, content_type=content_type)
    assert (response.status_code, response.json["status"], response.json["message"]) == (400, 1, message)


@pytest.mark.parametrize("body", ['{"name": NaN}', '{"moCharge": Infinity}'])
def test_nan_and_infinity_are_not_json(client, body):
    response = client.post(URL, data=body, content_type="application/json")
    assert response.json["message"] == "the body is not valid JSON"


def test_a_doubled_slash_in_the_path_is_a_json_404_not_a_redirect(client):
    response = client.post("/services/rest//customer/create")
    assert (response.status_code, response.json["status"]) == (404, 1)


def test_every_problem_of_a_parameter_is_reported(client, reseller):
    response = client.post(URL, data={**RESELLER, "name": "a b\x01" + "x" * 200})
    assert response.json["errors"]["name"] == [
        "must not contain spaces or other whitespace",
        "must not contain control characters",
        "must be at most 128 characters long",
    ]


def test_messages_keep_non_ascii_text_readable(client):
    response = client.post("/services/rest/café")
    assert "café" in response.get_data(as_text=True)
