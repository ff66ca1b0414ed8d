"""Callback bodies exactly as Tencent sends them, minus ``t`` and ``sign``.

Field names and JSON types follow Tencent's published examples for push
and stop (event_type 1 and 0), recording files (100) and snapshots (200):
``sequence`` and ``push_duration`` are decimal strings, ``errcode`` and the
times are integers, ``channel_id`` repeats ``stream_id``. The sender adds ``t``
and ``sign`` when it delivers a body.

Every argument has a default taken from a composed example of Tencent's
shape, so a call with no arguments reproduces that example (without ``t`` and
``sign``) and a test can change only the field it is about.

``sub_errcode`` is uncertain: Tencent's stop-reason table pairs each ``errcode``
with a ``sub_errcode``, but no published callback shows the field. A stop body
carries it as an extra integer field only when the caller gives one, so a
receiver is exercised both with and without it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "ERRMSG",
    "EVENT_PUSH",
    "EVENT_RECORD",
    "EVENT_SNAPSHOT",
    "EVENT_STOP",
    "EXAMPLE_STREAM_PARAM",
    "errmsg_for",
    "push_body",
    "record_body",
    "snapshot_body",
    "snapshot_path",
    "stop_body",
]

EVENT_STOP = 0
EVENT_PUSH = 1
EVENT_RECORD = 100
EVENT_SNAPSHOT = 200

#: The push URL query of the default bodies: stream1 signed with the key
#: ``primarykey123`` until 2023-12-28 10:40 UTC (txTime 658D5080).
EXAMPLE_STREAM_PARAM = "txSecret=1e36d253d3ae7ebbd62aac2d9c6fde38&txTime=658D5080"

#: Stop reasons as ``errmsg`` text. Codes 1-4, 7, 18 and 19 carry the strings
#: Tencent is documented to send; the others have no published text, so they
#: get a short English description of the reason in Tencent's errcode table.
ERRMSG: dict[int, str] = {
    0: "unknown error",
    1: "recv rtmp deleteStream",
    2: "recv rtmp closeStream",
    3: "recv() return 0",
    4: "recv() return error",
    5: "internal error",
    6: "rtmp protocol error",
    7: "rtmp message large than 1M",
    8: "no data received, stream closed by system",
    9: "internal error",
    10: "proxy received a drop command",
    11: "internal error",
    12: "network error",
    13: "network error",
    14: "network error",
    15: "network error",
    16: "network error",
    17: "network error",
    18: "push url maybe invalid",
    19: "3rdparty auth failed",
    20: "no data received, stream closed by system",
    21: "stream closed by a control command",
    22: "unknown error",
    23: "rtmp protocol error",
    24: "internal error",
    25: "unknown error",
    26: "unknown error",
    27: "unknown error",
    28: "unknown error",
    29: "unknown error",
    30: "unknown error",
    31: "unknown error",
    32: "unknown error",
    33: "rtmp amf error",
    34: "unknown error",
    35: "publisher disconnected",
    36: "unknown error",
    37: "unplayed stream dropped",
    38: "internal error",
    39: "frame rate above limit",
}

_EXAMPLE_APPID = 1250000001
_EXAMPLE_DOMAIN = "push.example.com"
_EXAMPLE_STREAM = "room_42"
_EXAMPLE_SEQUENCE = "2210464508206756938"
_EXAMPLE_NODE = "42.81.194.37"
_EXAMPLE_USER_IP = "203.0.113.7"
_EXAMPLE_FILE_ID = "5285890812345678901"
_SNAPSHOT_HOST = "http://snap-{appid}.cos.ap-guangzhou.myqcloud.com"
_VOD_URL = "http://{appid}.vod2.myqcloud.com/abcd1234vodcq{appid}/{file_id}/{name}"
_BEIJING = timezone(timedelta(hours=8))


def errmsg_for(errcode: int) -> str:
    """Return the ``errmsg`` Tencent sends with a stop ``errcode``.

    Args:
        errcode: the stop reason code.

    Returns:
        The text from :data:`ERRMSG`, or ``"internal error"`` for a code
        outside Tencent's table.
    """
    return ERRMSG.get(errcode, "internal error")


def _session_fields(
    *,
    appid: int,
    domain: str,
    app: str,
    stream: str,
    event_time: int,
    sequence: str,
    node: str,
    user_ip: str,
    stream_param: str,
    set_id: int,
    idc_id: int,
    width: int,
    height: int,
) -> dict[str, Any]:
    return {
        "app": domain,
        "appid": appid,
        "appname": app,
        "channel_id": stream,
        "event_time": event_time,
        "height": height,
        "idc_id": idc_id,
        "node": node,
        "sequence": sequence,
        "set_id": set_id,
        "stream_id": stream,
        "stream_param": stream_param,
        "user_ip": user_ip,
        "width": width,
    }


def push_body(
    *,
    appid: int = _EXAMPLE_APPID,
    domain: str = _EXAMPLE_DOMAIN,
    app: str = "live",
    stream: str = _EXAMPLE_STREAM,
    event_time: int = 1703731478,
    sequence: str = _EXAMPLE_SEQUENCE,
    node: str = _EXAMPLE_NODE,
    user_ip: str = _EXAMPLE_USER_IP,
    stream_param: str = EXAMPLE_STREAM_PARAM,
    set_id: int = 2,
    idc_id: int = 34,
    width: int = 0,
    height: int = 0,
) -> dict[str, Any]:
    """Build a push (event_type 1) body.

    Width and height default to 0 because Tencent often sends the push before
    it has seen the video headers.

    Args:
        appid: the account APPID.
        domain: the push domain (the body's ``app`` field).
        app: the AppName (the body's ``appname`` field).
        stream: the stream name (``stream_id`` and ``channel_id``).
        event_time: UNIX seconds of the push.
        sequence: the publishing session id, a decimal string.
        node: the ingest node's IP.
        user_ip: the publisher's IP.
        stream_param: the push URL's query string.
        set_id: the ingest cluster (1-6 mainland China, 7-200 elsewhere).
        idc_id: an undocumented number present in real bodies.
        width: video width in pixels.
        height: video height in pixels.

    Returns:
        The body without ``t`` and ``sign``.
    """
    body = _session_fields(
        appid=appid,
        domain=domain,
        app=app,
        stream=stream,
        event_time=event_time,
        sequence=sequence,
        node=node,
        user_ip=user_ip,
        stream_param=stream_param,
        set_id=set_id,
        idc_id=idc_id,
        width=width,
        height=height,
    )
    body.update(errcode=0, errmsg="ok", event_type=EVENT_PUSH)
    return dict(sorted(body.items()))


def stop_body(
    *,
    appid: int = _EXAMPLE_APPID,
    domain: str = _EXAMPLE_DOMAIN,
    app: str = "live",
    stream: str = _EXAMPLE_STREAM,
    event_time: int = 1703735100,
    sequence: str = _EXAMPLE_SEQUENCE,
    node: str = _EXAMPLE_NODE,
    user_ip: str = _EXAMPLE_USER_IP,
    stream_param: str = EXAMPLE_STREAM_PARAM,
    set_id: int = 2,
    idc_id: int = 34,
    width: int = 1280,
    height: int = 720,
    errcode: int = 1,
    errmsg: str | None = None,
    push_duration_ms: int = 3622000,
    sub_errcode: int | None = None,
) -> dict[str, Any]:
    """Build a stop (event_type 0) body.

    Args:
        appid: the account APPID.
        domain: the push domain (the body's ``app`` field).
        app: the AppName (the body's ``appname`` field).
        stream: the stream name (``stream_id`` and ``channel_id``).
        event_time: UNIX seconds of the stop.
        sequence: the session id, the same as the matching push's.
        node: the ingest node's IP.
        user_ip: the publisher's IP.
        stream_param: the push URL's query string.
        set_id: the ingest cluster.
        idc_id: an undocumented number present in real bodies.
        width: video width in pixels.
        height: video height in pixels.
        errcode: the stop reason code.
        errmsg: the reason text; :func:`errmsg_for` of ``errcode`` when None.
        push_duration_ms: how long the session published, in milliseconds.
        sub_errcode: the finer reason; the field is left out when None.

    Returns:
        The body without ``t`` and ``sign``.
    """
    body = _session_fields(
        appid=appid,
        domain=domain,
        app=app,
        stream=stream,
        event_time=event_time,
        sequence=sequence,
        node=node,
        user_ip=user_ip,
        stream_param=stream_param,
        set_id=set_id,
        idc_id=idc_id,
        width=width,
        height=height,
    )
    body.update(
        errcode=errcode,
        errmsg=errmsg_for(errcode) if errmsg is None else errmsg,
        event_type=EVENT_STOP,
        push_duration=str(push_duration_ms),
    )
    if sub_errcode is not None:
        body["sub_errcode"] = sub_errcode
    return dict(sorted(body.items()))


def _video_url(appid: int, file_id: str, file_format: str) -> str:
    name = "playlist.m3u8" if file_format == "hls" else f"f0.{file_format}"
    return _VOD_URL.format(appid=appid, file_id=file_id, name=name)


def record_body(
    *,
    appid: int = _EXAMPLE_APPID,
    domain: str = _EXAMPLE_DOMAIN,
    app: str = "live",
    stream: str = _EXAMPLE_STREAM,
    stream_param: str = EXAMPLE_STREAM_PARAM,
    file_id: str = _EXAMPLE_FILE_ID,
    file_format: str = "hls",
    task_id: str = "",
    start_time: int = 1703731478,
    start_time_usec: int = 120000,
    end_time: int = 1703735098,
    end_time_usec: int = 412000,
    duration: int = 3620,
    file_size: int = 277941079,
    media_start_time: int = 2931,
    record_bps: int = 0,
    video_codec: str = "h264",
    width: int = 1280,
    height: int = 720,
    session_id: str = "6300123456789",
) -> dict[str, Any]:
    """Build a recording file (event_type 100) body.

    Args:
        appid: the account APPID.
        domain: the push domain (the body's ``app`` field).
        app: the AppName (the body's ``appname`` field).
        stream: the stream name (``stream_id`` and ``channel_id``).
        stream_param: the push URL's query string.
        file_id: the VOD file id; ``record_file_id`` repeats it.
        file_format: ``flv``, ``hls``, ``mp4`` or ``aac``.
        task_id: the recording task id; empty for template recordings.
        start_time: UNIX seconds of the file's first frame.
        start_time_usec: the microsecond part of ``start_time``.
        end_time: UNIX seconds of the file's last frame.
        end_time_usec: the microsecond part of ``end_time``.
        duration: the file's length in seconds.
        file_size: the file's size in bytes.
        media_start_time: the pts of the first frame the recorder received.
        record_bps: the bitrate in kbps when a transcoded stream is recorded.
        video_codec: the codec named in ``callback_ext``.
        width: video width, for ``callback_ext``'s resolution.
        height: video height, for ``callback_ext``'s resolution.
        session_id: the session named in ``callback_ext``.

    Returns:
        The body without ``t`` and ``sign``.
    """
    ext = {
        "video_codec": video_codec,
        "resolution": f"{width}x{height}",
        "session_id": session_id,
    }
    return {
        "app": domain,
        "appid": appid,
        "appname": app,
        "callback_ext": json.dumps(ext, separators=(",", ":")),
        "channel_id": stream,
        "duration": duration,
        "end_time": end_time,
        "end_time_usec": end_time_usec,
        "event_type": EVENT_RECORD,
        "file_format": file_format,
        "file_id": file_id,
        "file_size": file_size,
        "media_start_time": media_start_time,
        "record_bps": record_bps,
        "record_file_id": file_id,
        "start_time": start_time,
        "start_time_usec": start_time_usec,
        "stream_id": stream,
        "stream_param": stream_param,
        "task_id": task_id,
        "video_url": _video_url(appid, file_id, file_format),
    }


def snapshot_path(stream: str, create_time: int, width: int, height: int) -> str:
    """Return a snapshot's object path, named after its Beijing wall-clock time.

    Args:
        stream: the stream name.
        create_time: UNIX seconds of the snapshot.
        width: picture width in pixels.
        height: picture height in pixels.
    """
    clock = datetime.fromtimestamp(create_time, _BEIJING).strftime("%H-%M-%S")
    return f"/{stream}/{stream}-screenshot-{clock}-{width}x{height}.jpg"


def snapshot_body(
    *,
    appid: int = _EXAMPLE_APPID,
    domain: str = _EXAMPLE_DOMAIN,
    app: str = "live",
    stream: str = _EXAMPLE_STREAM,
    stream_param: str = EXAMPLE_STREAM_PARAM,
    create_time: int = 1703731800,
    file_size: int = 30670,
    width: int = 1280,
    height: int = 720,
    pic_url: str | None = None,
) -> dict[str, Any]:
    """Build a snapshot (event_type 200) body.

    The body has no ``appid`` field: Tencent's snapshot field list does not
    name one. The APPID only shapes the storage host of ``pic_full_url``.

    Args:
        appid: the account APPID, used for the download host.
        domain: the push domain (the body's ``app`` field).
        app: the AppName (the body's ``appname`` field).
        stream: the stream name (``stream_id`` and ``channel_id``).
        stream_param: the push URL's query string.
        create_time: UNIX seconds of the snapshot.
        file_size: the picture's size in bytes.
        width: picture width in pixels.
        height: picture height in pixels.
        pic_url: the object path; :func:`snapshot_path` when None.

    Returns:
        The body without ``t`` and ``sign``.
    """
    path = pic_url or snapshot_path(stream, create_time, width, height)
    return {
        "app": domain,
        "appname": app,
        "channel_id": stream,
        "create_time": create_time,
        "event_type": EVENT_SNAPSHOT,
        "file_size": file_size,
        "height": height,
        "pic_full_url": _SNAPSHOT_HOST.format(appid=appid) + path,
        "pic_url": path,
        "stream_id": stream,
        "stream_param": stream_param,
        "width": width,
    }
