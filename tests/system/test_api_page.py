"""The interactive API page at /services/rest/docs: off when configured so, and usable in a real browser, offline."""
import json
from urllib.parse import urlsplit

import pytest
from bson import ObjectId
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.apps import CHEAP_ARGON2, app_for
from tests.support.servers import Gunicorn, tool

PAGE = "/services/rest/docs"
CREDENTIALS = {"resellerName": "pages", "resellerPassword": "api-page secret"}
# Headless, and quiet: no update checks, sync or other background calls of the browser's own.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage")
WAIT_SECONDS = 60
BROWSERS_OWN = ("data", "chrome", "chrome-untrusted", "about")


def browser_tool(name):
    return tool(name, "apt-get install chromium chromium-driver")


def test_the_api_page_is_not_served_when_api_docs_is_off(database_uri):
    client = app_for(database_uri, API_DOCS="off").test_client()
    for path in (PAGE, f"{PAGE}/swagger-ui-bundle.js"):
        response = client.get(path)
        assert (response.status_code, response.json["status"]) == (404, 1)


def test_the_api_page_names_only_the_services_own_files(client):
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "start.js"):
        assert f'"{PAGE}/{asset}"' in page.text
        assert client.get(f"{PAGE}/{asset}").status_code == 200
    assert "http" not in page.text


@pytest.fixture(scope="module")
def server(database_uri):
    with Gunicorn(MONGODB_URI=database_uri, API_DOCS="on", **CHEAP_ARGON2) as gunicorn:
        yield gunicorn


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Debian Chromium driven by its chromedriver, with a fresh profile, logging every request it makes."""
    chromium, chromedriver = browser_tool("chromium"), browser_tool("chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=chromedriver), options=options)
    yield driver
    driver.quit()


def wait_for(browser, condition):
    """Poll until condition(browser) gives something, and return it."""
    return WebDriverWait(browser, WAIT_SECONDS, poll_frequency=0.2).until(condition)


def element(browser, selector):
    """The first element matching a CSS selector once it shows."""
    return wait_for(browser, expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, selector)))


def requested_urls(browser):
    """The URLs the page asked for since the last call, from the browser's network log."""
    messages = (json.loads(entry["message"])["message"] for entry in browser.get_log("performance"))
    return [message["params"]["request"]["url"] for message in messages
            if message["method"] == "Network.requestWillBeSent"]


def test_the_api_page_loads_from_the_service_alone(server, browser):
    requested_urls(browser)
    browser.get(server.url(PAGE))
    element(browser, "#operations-customers-customerCreate")

    # Pictures in data: URLs and the browser's own pages (chrome:, and chrome-untrusted: such as its new tab page, which
    # a loaded machine may log late) are not fetched from anywhere.
    fetched = [urlsplit(url) for url in requested_urls(browser) if urlsplit(url).scheme not in BROWSERS_OWN]
    assert {f"{url.scheme}://{url.netloc}" for url in fetched} == {server.url("")}
    assert {url.path for url in fetched} >= {PAGE, f"{PAGE}/swagger-ui-bundle.js", "/services/rest/openapi.json"}


def test_a_browser_creates_a_customer_on_the_api_page(server, browser, make_reseller, db):
    make_reseller(CREDENTIALS["resellerName"], CREDENTIALS["resellerPassword"])
    browser.get(server.url(PAGE))
    operation = "#operations-customers-customerCreate"
    element(browser, f"{operation} .opblock-summary-control").click()
    element(browser, f"{operation} .try-out__btn").click()
    body = element(browser, f"{operation} textarea.body-param__text")
    body.send_keys(Keys.CONTROL, "a")
    body.send_keys(Keys.DELETE)
    body.send_keys(json.dumps({**CREDENTIALS, "name": "page-shop", "billingType": "PRE_PAID"}))
    element(browser, f"{operation} button.execute").click()

    answered = f"{operation} .live-responses-table tr.response"
    status = element(browser, f"{answered} .response-col_status")
    wait_for(browser, lambda _: status.text.strip() or None)
    answer = json.loads(element(browser, f"{answered} .response-col_description pre.microlight").text)
    assert (status.text.strip(), answer["status"]) == ("201", 0)
    assert db.customers.find_one({"_id": ObjectId(answer["id"])})["name"] == "page-shop"
