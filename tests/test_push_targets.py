"""URL push targets that the platform will call must not be turned against the platform itself."""
import json

import pytest

from tests.conftest import RESELLER, app_for

URL = "/services/rest/user/create"


@pytest.fixture
def user_params(reseller, customer_of):
    return {**RESELLER, "username": "u", "password": "p", "customerId": customer_of(), "email": "a@b.com", "phoneNumber": "1"}


def push(url):
    return json.dumps({"type": "URL", "data": {"url": url}})


INTERNAL = [
    "http://localhost/", "http://LOCALHOST.:8080/", "http://api.localhost/", "http://127.0.0.1/", "http://127.0.0.1./",
    "http://127.1/", "http://0x7f.1/", "http://2130706433/", "http://0177.0.0.1/", "http://0x7f000001/",
    "http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/", "http://0.0.0.0/", "http://0/", "http://224.0.0.1/", "http://240.0.0.1/",
    "http://255.255.255.255/", "http://[::1]/", "http://[::]/", "http://[fe80::1]/", "http://[fe80::1%25eth0]/",
    "http://[fc00::1]/", "http://[fd12:3456::1]/", "http://[ff02::1]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/", "http://[::ffff:10.0.0.1]/", "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/",
    "http://127\u30020\u30020\u30021/", "http://1\u00ad27.0.0.1/", "http://[2002:7f00:1::]/", "http://[2002:a00:1::]/",
]


@pytest.mark.parametrize("url", INTERNAL)
def test_a_url_pointing_inside_is_refused(client, user_params, url):
    response = client.post(URL, data={**user_params, "moPush": push(url)})
    assert (response.status_code, list(response.json["errors"])) == (400, ["moPush"])


@pytest.mark.parametrize("url", ["http://user:secret@push.example.com/", "https://user@push.example.com/"])
def test_a_url_with_credentials_is_refused(client, user_params, url):
    response = client.post(URL, data={**user_params, "finalStatusPush": push(url)})
    assert response.json["errors"] == {"finalStatusPush": ["data.url must not carry a user name or password"]}


@pytest.mark.parametrize("url", ["https://push.example.com/mo", "http://93.184.215.14:8080/x", "http://[2606:4700::1]/",
                                 "http://127.0.0.1.example.com/", "http://localhost-push.example.com/"])
def test_a_public_url_is_accepted(client, user_params, url):
    assert client.post(URL, data={**user_params, "moPush": push(url)}).status_code == 201


def test_private_targets_can_be_allowed_for_on_premises_platforms(database_uri, reseller):
    app = app_for(database_uri, ALLOW_PRIVATE_PUSH_TARGETS="on")
    client = app.test_client()
    customer = client.post("/services/rest/customer/create", data={**RESELLER, "name": "onprem"})
    assert customer.status_code == 201, customer.json
    params = {**RESELLER, "username": "u", "password": "p", "customerId": customer.json["id"], "email": "a@b.com",
              "phoneNumber": "1", "moPush": push("http://10.1.2.3:8080/push")}
    assert client.post(URL, data=params).status_code == 201
