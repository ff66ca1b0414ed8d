"""Front doors: SCF events and Flask requests in, SCF and Flask responses out."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import flask
import pytest

from shared.errors import PayloadError
from shared.http import (
    Request,
    Response,
    is_timer_event,
    json_response,
    request_from_flask,
    request_from_scf,
    response_to_flask,
    response_to_scf,
)

LIMIT = 64

BODY = '{"event_type":1}'

#: An API Gateway integration request, as SCF documents it.
API_GATEWAY_EVENT: dict[str, Any] = {
    "requestContext": {
        "serviceId": "service-f94sy04v",
        "path": "/test/{path}",
        "httpMethod": "POST",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "identity": {"secretId": "abdcdxxxxxxxsdfs"},
        "sourceIp": "10.0.2.14",
        "stage": "release",
    },
    "headers": {
        "accept": "application/json",
        "content-type": "application/json",
        "host": "service-xxx-1250000001.gz.apigw.tencentcs.com",
        "user-agent": "curl/8.0",
    },
    "body": BODY,
    "pathParameters": {"path": "value"},
    "queryStringParameters": {"foo": "bar"},
    "headerParameters": {"Refer": "10.0.2.14"},
    "stageVariables": {"stage": "release"},
    "path": "/test/value",
    "queryString": {"foo": "bar", "bob": "alice"},
    "httpMethod": "POST",
    "isBase64Encoded": False,
}

#: A Function URL event: API Gateway's shape without requestContext and friends.
FUNCTION_URL_EVENT: dict[str, Any] = {
    "body": BODY,
    "headers": {
        "Content-Type": "application/json",
        "Host": "1250000001-abc.ap-guangzhou.tencentscf.com",
        "x-scf-remote-addr": "203.0.113.9",
    },
    "httpMethod": "POST",
    "path": "/",
    "queryString": {},
}

#: A Timer trigger event, as SCF documents it.
TIMER_EVENT: dict[str, Any] = {
    "Type": "Timer",
    "TriggerName": "poll-every-minute",
    "Time": "2019-02-21T11:49:00Z",
    "Message": "user define msg body",
}


def event(**changes: object) -> dict[str, Any]:
    """The API Gateway event with some keys replaced (None removes a key)."""
    changed = {**API_GATEWAY_EVENT, **changes}
    return {key: value for key, value in changed.items() if value is not None}


def current_request() -> Any:
    """The active Flask request, untyped, as functions-framework passes it on."""
    return flask.request


# SCF events in ----------------------------------------------------------------


def test_api_gateway_event_becomes_a_request() -> None:
    """Method, path, headers, body, query and request id all carry over."""
    request = request_from_scf(API_GATEWAY_EVENT, LIMIT)

    assert request == Request(
        method="POST",
        path="/test/value",
        headers=API_GATEWAY_EVENT["headers"],
        body=BODY.encode(),
        query={"foo": "bar", "bob": "alice"},
        request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        too_large=False,
    )


def test_a_base64_body_is_decoded() -> None:
    """With isBase64Encoded, the body string is base64 of the raw bytes."""
    raw = b'{"event_type":0}\xff'
    encoded = base64.b64encode(raw).decode()

    request = request_from_scf(event(body=encoded, isBase64Encoded=True), LIMIT)

    assert request.body == raw


def test_a_body_that_is_not_base64_is_refused() -> None:
    """A body flagged as base64 that does not decode is a PayloadError."""
    with pytest.raises(PayloadError):
        request_from_scf(event(body="not base64!", isBase64Encoded=True), LIMIT)


def test_a_plain_body_is_taken_as_utf8() -> None:
    """Without the base64 flag, the body string is encoded as UTF-8."""
    request = request_from_scf(event(body='{"msg":"断流"}'), LIMIT)

    assert request.body == '{"msg":"断流"}'.encode()


def test_undecodable_bytes_handed_over_as_surrogates_come_back() -> None:
    """A byte outside UTF-8, passed on as U+DC80..U+DCFF, is that byte again."""
    request = request_from_scf(event(body='{"a":"\udcff"}'), LIMIT)

    assert request.body == b'{"a":"\xff"}'


@pytest.mark.parametrize("body", ["\ud800", '{"a":"\udbff\udc80"}', "x\udfff"])
def test_a_plain_body_with_lone_surrogates_is_not_utf8(body: str) -> None:
    """Other lone surrogates have no bytes behind them: the body becomes bytes
    that are not UTF-8, refused downstream as such, instead of an exception."""
    request = request_from_scf(event(body=body), LIMIT)

    with pytest.raises(UnicodeDecodeError):
        request.body.decode("utf-8")


def test_a_function_url_event_becomes_a_request() -> None:
    """The Function URL shape, without requestContext, is accepted too."""
    request = request_from_scf(FUNCTION_URL_EVENT, LIMIT)

    assert (request.method, request.path, request.body) == ("POST", "/", BODY.encode())
    assert request.request_id is None
    assert request.headers["x-scf-remote-addr"] == "203.0.113.9"


def test_header_names_are_lower_cased() -> None:
    """Header names arrive in varying case and leave in lower case."""
    headers = {"Content-Type": "application/json", "accept-Language": "zh-CN"}

    request = request_from_scf(event(headers=headers), LIMIT)

    assert request.headers == {
        "content-type": "application/json",
        "accept-language": "zh-CN",
    }


def test_missing_parts_take_defaults() -> None:
    """No method, path, headers, query or body still gives a usable request."""
    request = request_from_scf({}, LIMIT)

    assert request == Request(method="POST", path="/", body=b"")


def test_malformed_headers_and_query_are_ignored() -> None:
    """Headers or a query that are not objects count as empty."""
    request = request_from_scf(event(headers=["a"], queryString="x=1"), LIMIT)

    assert (request.headers, request.query) == ({}, {})


def test_the_method_is_upper_cased() -> None:
    """A lower-case method is normalised."""
    assert request_from_scf(event(httpMethod="get"), LIMIT).method == "GET"


def test_a_request_id_that_is_not_text_is_dropped() -> None:
    """Only a string requestId is kept."""
    context = {"requestId": 12345}

    assert request_from_scf(event(requestContext=context), LIMIT).request_id is None


def test_a_body_at_the_limit_is_accepted() -> None:
    """A body exactly as long as the limit is not too large."""
    request = request_from_scf(event(body="x" * LIMIT), LIMIT)

    assert (request.too_large, request.body) == (False, b"x" * LIMIT)


def test_a_body_over_the_limit_is_flagged_and_cut() -> None:
    """A longer body sets too_large and keeps only the limit plus one byte."""
    request = request_from_scf(event(body="x" * (LIMIT * 3)), LIMIT)

    assert request.too_large is True
    assert request.body == b"x" * (LIMIT + 1)


@pytest.mark.parametrize("value", [None, "text", ["list"], 42], ids=repr)
def test_an_event_that_is_not_an_object_is_refused(value: object) -> None:
    """Anything but a JSON object is not an HTTP event."""
    with pytest.raises(PayloadError):
        request_from_scf(value, LIMIT)


@pytest.mark.parametrize("body", [{"event_type": 1}, 42, ["x"]], ids=repr)
def test_a_body_that_is_not_a_string_is_refused(body: object) -> None:
    """SCF always sends the body as a string; anything else is refused."""
    with pytest.raises(PayloadError):
        request_from_scf(event(body=body), LIMIT)


def test_errors_never_echo_the_body() -> None:
    """A refused body does not appear in the error's message."""
    secret_body = "c2lnbj0zNzEwY2VmZmFl!!"

    with pytest.raises(PayloadError) as caught:
        request_from_scf(event(body=secret_body, isBase64Encoded=True), LIMIT)

    assert secret_body not in str(caught.value)


# Timer events -------------------------------------------------------------------


def test_a_timer_event_is_recognised() -> None:
    """The documented Timer trigger event is a timer event."""
    assert is_timer_event(TIMER_EVENT) is True


@pytest.mark.parametrize(
    "value",
    [API_GATEWAY_EVENT, FUNCTION_URL_EVENT, {"Type": "Cos"}, "Timer", None],
    ids=["api-gateway", "function-url", "other-type", "string", "none"],
)
def test_other_events_are_not_timer_events(value: object) -> None:
    """HTTP events, other trigger types and non-objects are not timer events."""
    assert is_timer_event(value) is False


# Responses out ------------------------------------------------------------------


def test_json_response_is_compact_utf8_json() -> None:
    """The body is compact JSON with non-ASCII text kept, typed as JSON."""
    response = json_response(200, {"code": 0, "msg": "成功"})

    assert response.body == '{"code":0,"msg":"成功"}'.encode()
    assert response.headers == {"Content-Type": "application/json"}


def test_response_to_scf_has_the_integration_shape() -> None:
    """SCF gets isBase64Encoded, statusCode, headers and a string body."""
    converted = response_to_scf(json_response(200, {"code": 0}))

    assert converted == {
        "isBase64Encoded": False,
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": '{"code":0}',
    }
    assert json.loads(json.dumps(converted)) == converted


def test_response_to_scf_replaces_bytes_that_are_not_utf8() -> None:
    """A body that is not UTF-8 still becomes a string rather than failing."""
    converted = response_to_scf(Response(500, b"\xffok"))

    assert converted["body"] == "\ufffdok"


def test_response_to_flask_is_accepted_by_flask() -> None:
    """Flask turns the returned tuple into the same status, body and headers."""
    app = flask.Flask(__name__)

    with app.test_request_context("/"):
        made = app.make_response(response_to_flask(json_response(503, {"code": 1})))

    assert made.status_code == 503
    assert made.get_data() == b'{"code":1}'
    assert made.headers["Content-Type"] == "application/json"


# Flask requests in --------------------------------------------------------------


def test_a_flask_request_becomes_a_request() -> None:
    """Method, path, lower-case headers, body, query and request id carry over."""
    app = flask.Flask(__name__)
    headers = {"X-Request-Id": "req-7", "Content-Type": "application/json"}

    with app.test_request_context(
        "/callback?app=live", method="post", data=BODY, headers=headers
    ):
        request = request_from_flask(current_request(), LIMIT)

    assert (request.method, request.path, request.body) == (
        "POST",
        "/callback",
        BODY.encode(),
    )
    assert request.headers["content-type"] == "application/json"
    assert request.query == {"app": "live"}
    assert (request.request_id, request.too_large) == ("req-7", False)


def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    """A Content-Length over the limit flags the request without reading it."""
    app = flask.Flask(__name__)
    stream = io.BytesIO(b"x" * (LIMIT * 4))

    with app.test_request_context(
        "/", method="POST", input_stream=stream, content_length=LIMIT * 4
    ):
        request = request_from_flask(current_request(), LIMIT)

    assert (request.too_large, request.body) == (True, b"")
    assert stream.tell() == 0


def test_an_undeclared_length_is_read_only_past_the_limit() -> None:
    """Without Content-Length, reading stops one byte past the limit."""
    app = flask.Flask(__name__)
    stream = io.BytesIO(b"x" * (LIMIT * 4))

    with app.test_request_context(
        "/",
        method="POST",
        input_stream=stream,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    ):
        request = request_from_flask(current_request(), LIMIT)

    assert request.too_large is True
    assert request.body == b"x" * (LIMIT + 1)
    assert stream.tell() == LIMIT + 1
