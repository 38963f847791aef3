"""Push configurations through the API: a URL pointing inside is refused and nothing is stored, unless the platform allows
private targets."""
import json

import pytest

from app.domain.push_targets import AMBIGUOUS, IPV4_SPELLING
from tests.support.apps import RESELLER, app_for

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
    "http://metadata.google.internal/computeMetadata/v1/", "http://metadata/computeMetadata/v1/", "http://metadata.goog/",
    "http://instance-data/latest/meta-data/", "http://instance-data.ec2.internal/", "http://build.corp.internal/",
    "http://printer.local/", "http://nas.home.arpa/",
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


# The outside attacker test's list: all accepted and stored before; curl and requests fetched the first from 127.0.0.1.
REPORTED_AMBIGUOUS = [
    "http://%31%32%37.0.0.1:8080/", "http://%31%36%39.254.169.254/", "http://%6c%6f%63%61%6c%68%6f%73%74/",
    "http://%30/", "http://169.254.169.254\\.evil.com/latest/meta-data/", "http://localhost%00/",
]
REPORTED_SPELLING = ["http://0x/"]
REPORTED_NAMES = ["http://localhost.localdomain/", "http://ip6-localhost/", "http://ip6-loopback/"]
REPORTED = REPORTED_AMBIGUOUS + REPORTED_SPELLING + REPORTED_NAMES


@pytest.mark.parametrize("url", REPORTED)
def test_the_reported_bypasses_are_refused_and_nothing_is_stored(client, user_params, db, url):
    response = client.post(URL, data={**user_params, "moPush": push(url)})
    assert (response.status_code, list(response.json["errors"])) == (400, ["moPush"])
    assert db.users.count_documents({}) == 0


def test_private_targets_allowed_still_refuse_an_ambiguous_authority(database_uri, reseller, db):
    client = app_for(database_uri, ALLOW_PRIVATE_PUSH_TARGETS="on").test_client()
    customer = client.post("/services/rest/customer/create", data={**RESELLER, "name": "onprem"}).json["id"]
    params = {**RESELLER, "password": "p", "customerId": customer, "email": "a@b.com", "phoneNumber": "1"}
    for number, url in enumerate(REPORTED):
        response = client.post(URL, data={**params, "username": f"u{number}", "moPush": push(url)})
        if url in REPORTED_NAMES:
            assert response.status_code == 201, (url, response.json)
        else:
            expected = AMBIGUOUS if url in REPORTED_AMBIGUOUS else IPV4_SPELLING
            assert (response.status_code, response.json["errors"]) == (400, {"moPush": [expected]}), url
    assert db.users.count_documents({}) == len(REPORTED_NAMES)
