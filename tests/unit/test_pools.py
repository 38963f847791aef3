"""Each worker process holds few connections, polls the servers' state, and names itself to them."""
import pytest

import config
from app.bootstrap import bootstrap


@pytest.mark.parametrize("threads, pool", [("1", 3), ("4", 6)])
def test_a_workers_pool_is_sized_by_its_threads_and_it_polls_and_names_itself(threads, pool):
    provisioning = bootstrap(config.from_environment({"THREADS": threads}))
    options = provisioning.database.client.options
    assert options.pool_options.max_pool_size == pool
    assert options.server_monitoring_mode == "poll"
    assert options.pool_options.metadata["application"]["name"] == "provisioning"


def test_an_application_name_in_the_connection_string_is_kept():
    uri = "mongodb://127.0.0.1:27017/provisioning?retryWrites=false&appName=billing-side"
    provisioning = bootstrap(config.from_environment({"MONGODB_URI": uri}))
    assert provisioning.database.client.options.pool_options.metadata["application"]["name"] == "billing-side"
