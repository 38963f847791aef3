"""Log lines for people are short; the database's state is logged once per change by all of a service's processes."""
import logging

from app import logs


def access_record(**facts):
    record = logging.makeLogRecord({"name": "app.access", "msg": "%s %s %s", "args": ("POST", "/x", 201),
                                    "levelname": "INFO", "created": 0})
    record.__dict__.update(facts)
    return record


def test_a_text_access_line_says_nothing_twice_and_nothing_that_has_no_value():
    line = logs.TextFormatter().format(access_record(requestId="r1", method="POST", path="/x", httpStatus=201,
                                                     status=0, reseller=None, client="127.0.0.1", durationMs=1.5))
    assert line == "1970-01-01 00:00:00.000Z INFO app.access: POST /x 201 requestId=r1 status=0 client=127.0.0.1 " \
                   "durationMs=1.5"


def test_json_lines_keep_every_field():
    assert '"reseller": null' in logs.JsonFormatter().format(access_record(reseller=None))


def test_processes_sharing_a_state_file_log_each_change_once(tmp_path):
    shared = tmp_path / "state.json"
    workers = [logs.SharedStates(shared) for _ in range(4)]
    assert [worker.changed("db:27017", True) for worker in workers] == [True, False, False, False]
    assert [worker.changed("db:27017", False) for worker in workers] == [True, False, False, False]
    assert workers[2].changed("db:27017", True) and not workers[0].changed("db:27017", True)
