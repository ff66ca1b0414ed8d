"""Tencent Live's error codes, mapped to what a person can do.

Tencent reports trouble at five layers. This module keeps one table for each of
the first four:

* HTTP: the status of an answer. The legacy hosts use 403 and 404; gateways in
  front of either API answer 429 and 5xx on their own.
* Legacy access: the text messages (``sign invalid``, ``time expired``...) with
  which the legacy ``common_access`` API refuses a request before running it.
* Legacy backend: the numeric ``ret`` codes of a legacy answer that got through.
* API 3.0: ``Response.Error.Code`` strings such as ``AuthFailure.SignatureFailure``,
  plus the codes Tencent's Python SDK raises by itself (``ClientNetworkError``...).
  Exact codes come first; a family such as ``ResourceNotFound.`` has a prefix
  rule for codes Tencent adds later, and the most specific rule wins.

The fifth layer, stop reasons (the ``errcode`` and ``sub_errcode`` of a stop
callback, which say why a publisher's stream ended and whether that deserves an
alert), lives in :mod:`shared.stops`, so that the callback function can load it
without the tables here. This module re-exports its names (``STOP_REASONS``,
``LEGACY_STOP_MESSAGES``, ``UNKNOWN_STOP``, ``StopKind``, ``StopReason``,
``stop_reason``), so ``from shared.codes import stop_reason`` keeps working.

The tables are the single source of truth: the classifiers below only look codes
up, every entry carries its category, severity and remedy, and a test fails on
any entry that lacks one. Some codes describe a state rather than a failure
(nothing is live, the query found no data); their entries say so with
``is_state`` and callers treat them as answers.

Severity follows one scale, here and in :mod:`shared.stops`: ``critical`` when
every call fails until a person acts (credentials, a stopped account), ``error``
when a person must change something, ``warning`` when the problem may pass by
itself, ``info`` when nothing is wrong.

Upstream messages can echo request data, so every text taken from Tencent goes
through :mod:`shared._text`, which cuts it to one line of at most 200 characters
and strips control characters and anything shaped like a key, a sign or a token
before it reaches an error.

This module imports the standard library and ``shared`` only, so every cloud
function can use it at little cold-start cost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar

from shared._text import CODE_LIMIT, MISSING, as_int, clean, phrase_words
from shared.errors import Category, ErrorInfo, Severity, TencentError
from shared.stops import (
    LEGACY_STOP_MESSAGES,
    STOP_REASONS,
    UNKNOWN_STOP,
    StopKind,
    StopReason,
    stop_reason,
)

__all__ = [
    "API3_ERRORS",
    "API3_PREFIX_ERRORS",
    "HTTP_STATUS_ERRORS",
    "LEGACY_ACCESS_ERRORS",
    "LEGACY_BACKEND_ERRORS",
    "LEGACY_STOP_MESSAGES",
    "STOP_REASONS",
    "UNKNOWN_ERROR",
    "UNKNOWN_STOP",
    "StopKind",
    "StopReason",
    "describe",
    "from_api3",
    "from_http_status",
    "from_legacy",
    "stop_reason",
]

_Key = TypeVar("_Key")


# Entry builders: one per kind of answer, so a table row reads as its meaning.


def _auth(remedy: str) -> ErrorInfo:
    return ErrorInfo(Category.AUTH, False, Severity.CRITICAL, remedy)


def _account(remedy: str) -> ErrorInfo:
    return ErrorInfo(Category.CONFIG, False, Severity.CRITICAL, remedy)


def _config(remedy: str) -> ErrorInfo:
    return ErrorInfo(Category.CONFIG, False, Severity.ERROR, remedy)


def _not_enabled(remedy: str) -> ErrorInfo:
    return ErrorInfo(Category.NOT_ENABLED, False, Severity.ERROR, remedy)


def _bad_request(remedy: str, severity: Severity = Severity.ERROR) -> ErrorInfo:
    return ErrorInfo(Category.INVALID_INPUT, False, severity, remedy)


def _rate_limited(remedy: str) -> ErrorInfo:
    return ErrorInfo(Category.RATE_LIMITED, True, Severity.WARNING, remedy)


def _transient(remedy: str) -> ErrorInfo:
    return ErrorInfo(Category.TRANSIENT, True, Severity.WARNING, remedy)


def _failed(remedy: str) -> ErrorInfo:
    # Tencent failed on its side, but repeating the same call at once rarely helps.
    return ErrorInfo(Category.TRANSIENT, False, Severity.ERROR, remedy)


def _state(category: Category, remedy: str) -> ErrorInfo:
    return ErrorInfo(category, False, Severity.INFO, remedy, is_state=True)


# Remedies shared by codes with one meaning.

_RETRY = (
    "Retry with backoff; if it keeps failing, open a 工单 "
    "(console.cloud.tencent.com/workorder) quoting the RequestId."
)
_NOT_LIVE = (
    "Nothing to fix: no stream is being pushed. If one should be, check the "
    "encoder and its push URL, and 云直播控制台 > 流管理."
)
_ACCOUNT_STOPPED = (
    "The account's live service is stopped, usually for arrears: pay in "
    "费用中心 > 账户余额, then open a 工单 if the service stays stopped."
)
_NOT_REGISTERED = (
    "The account has not enabled Cloud Live: enable it in 云直播控制台, and check "
    "that the API key belongs to the account that owns the domains."
)
_BAD_PARAMETER = (
    "A parameter was refused: compare the request with the action's parameters "
    "in the API 3.0 reference; the upstream message names the field."
)
_PUSH_DOMAIN_MISSING = (
    "The push domain is not registered for this account: compare DomainName "
    "with 云直播控制台 > 域名管理 and add or correct the domain there."
)
_PLAY_DOMAIN_MISSING = (
    "The play domain is not registered for this account: compare the domain "
    "with 云直播控制台 > 域名管理 and add or correct it there."
)
_DOMAIN_MISSING = (
    "The domain does not exist or does not match this account: check its "
    "spelling against 云直播控制台 > 域名管理."
)
_DOMAIN_EXISTS = (
    "The domain is already added, perhaps by another account: check "
    "云直播控制台 > 域名管理, or verify ownership there to add it again."
)
_DOMAIN_FORMAT = (
    "The domain name is malformed: send a plain host name such as "
    "push.example.com, without scheme, port or path."
)
_DOMAIN_TOO_LONG = "The domain name is too long: use a shorter domain name."
_DOMAIN_RESERVED = (
    "The domain is a reserved, well-known name: add a domain the account actually owns."
)
_DOMAIN_RESTRICTED = (
    "The domain is restricted by Tencent: use another domain, or ask for the "
    "restriction to be lifted through a 工单."
)
_DOMAIN_ICP = (
    "The domain has no ICP filing (备案): file it in the 备案 console, or use a "
    "domain that is already filed."
)
_DOMAIN_ROUTING = (
    "Setting up the domain's routing (GSLB) failed: retry later; if it keeps "
    "failing, open a 工单 naming the domain."
)
_CERT_MISSING = (
    "The certificate does not exist: check the certificate id against "
    "SSL 证书控制台 > 我的证书."
)
_CERT_BAD = (
    "The certificate content is not valid PEM or not a usable certificate: "
    "upload the full chain in PEM form from SSL 证书控制台 > 我的证书."
)
_CERT_EXPIRED = (
    "The certificate has expired: renew it in SSL 证书控制台 and bind the new one "
    "in 云直播控制台 > 域名管理 > HTTPS 配置."
)
_CERT_IN_USE = (
    "The certificate is bound to a domain: bind another certificate in "
    "云直播控制台 > 域名管理 > HTTPS 配置 before removing this one."
)
_CERT_NO_DOMAIN = (
    "The certificate does not cover the domain: use a certificate whose names "
    "include the play domain."
)
_CERT_KEY_MISMATCH = (
    "The certificate and private key do not belong together: upload the key "
    "that was generated with this certificate."
)
_TEMPLATE_MISSING = (
    "The template named does not exist: check its id or name in "
    "云直播控制台 > 功能配置 (转码, 录制, 截图, 水印 or 回调)."
)
_TEMPLATE_IN_USE = (
    "The template is bound to a rule: unbind it in 云直播控制台 > 功能配置 "
    "before changing or deleting it."
)
_TEMPLATE_LIMIT = (
    "The account reached its template limit: delete unused templates in "
    "云直播控制台 > 功能配置, or ask for more through a 工单."
)
_TRANSCODE_ARGS = (
    "The transcoding template's arguments do not fit together: check them in "
    "云直播控制台 > 功能配置 > 直播转码."
)
_TRANSCODE_NAME_TAKEN = (
    "A transcoding template with this name exists: pick another name or "
    "update the existing template."
)
_RULE_EXISTS = (
    "A rule already exists for this domain, app and stream: update or delete "
    "it instead of creating it again."
)
_RULE_MISSING = (
    "The rule does not exist: list the domain's rules with the matching "
    "Describe action and use an existing DomainName/AppName/StreamName."
)
_RULE_LIMIT = (
    "The account reached its rule limit: delete unused rules, or ask for a "
    "higher limit through a 工单."
)
_WATERMARK_MISSING = (
    "The watermark does not exist: check the WatermarkId against "
    "云直播控制台 > 功能配置 > 直播水印."
)
_RECORD_MISSING = (
    "The record does not exist: check the id in the request, which may name "
    "something already deleted."
)
_TASK_MISSING = (
    "The task does not exist: check the TaskId, which may belong to a task "
    "that finished or was deleted."
)
_CASTER_MISSING = (
    "The caster does not exist: check the CasterId against "
    "云直播控制台 > 直播工具 > 云导播台."
)
_CASTER_ITEM_EXISTS = (
    "The caster already has an item (input, layout, output or mark) with this "
    "index: update it, or add the new one under a free index."
)
_CASTER_ITEM_MISSING = (
    "The caster has no item (input, layout, output or mark) with this index: "
    "list the caster's items first and use an existing index."
)
_CASTER_ITEM_IN_USE = (
    "The caster item is used by the main output, the preview or auto-casting: "
    "switch those to another item before changing or deleting it."
)
_MIX_SESSION_MISSING = (
    "The mix session to cancel does not exist: check MixStreamSessionId; the "
    "session may already have ended."
)

HTTP_STATUS_ERRORS: Mapping[int, ErrorInfo] = MappingProxyType(
    {
        403: ErrorInfo(
            Category.AUTH,
            False,
            Severity.ERROR,
            "The endpoint's security check refused the request: call it from the "
            "server without browser cookies, and check appid/cmd, t and sign.",
        ),
        404: _bad_request(
            "The endpoint found no such host or path: send the Host header "
            "(fcgi.video.qcloud.com, or statcgi for statistics) and /common_access."
        ),
        429: _rate_limited(
            "The gateway is throttling the caller: back off and retry, and poll "
            "less often."
        ),
        500: _transient(_RETRY),
        502: _transient(_RETRY),
        503: _transient(_RETRY),
        504: _transient(_RETRY),
    }
)

LEGACY_ACCESS_ERRORS: Mapping[str, ErrorInfo] = MappingProxyType(
    {
        "appid is invalid": _not_enabled(
            "The appid is wrong or the legacy live-code API is not enabled for it: "
            "check the APPID in 账号中心, and that the URL has no stray line break."
        ),
        "cmd is invalid": _not_enabled(
            "The cmd (APPID) is wrong or the statistics API is not enabled: check "
            "the APPID, and open a 工单 to enable the statistics API."
        ),
        "sign invalid": _auth(
            "MD5(key + t) did not match: check the API key (API鉴权key) set in the "
            "live-code console's 接入配置 against the function's setting."
        ),
        "time expired": _auth(
            "The sign was right but t had passed: build t as now plus a few "
            "minutes, and synchronise the caller's clock (NTP)."
        ),
    }
)

LEGACY_BACKEND_ERRORS: Mapping[int, ErrorInfo] = MappingProxyType(
    {
        # ret 0 is success; it is listed so that every documented code is here.
        0: _state(
            Category.EMPTY,
            "Nothing to fix: ret 0 means the query succeeded; read the answer's "
            "output, which may be empty.",
        ),
        1000: _not_enabled(
            "The statistics API is not enabled for this account: open a 工单 "
            "asking Tencent to enable statapi for the APPID."
        ),
        1001: _not_enabled(
            "The account's statistics API service was stopped: check the account "
            "status in 费用中心 and open a 工单 to restore statapi."
        ),
        1201: _transient(_RETRY),
        1202: _rate_limited(
            "The legacy API's frequency limit was hit: back off and retry, poll "
            "less often, or ask for a higher limit through a 工单."
        ),
        1204: _bad_request(
            "An input parameter was refused: check the Param.s./Param.n. names "
            "and values against the interface's documented parameters."
        ),
        1301: _state(Category.NOT_LIVE, _NOT_LIVE),
        10003: _state(
            Category.EMPTY,
            "Nothing to fix: the history query found no data (for example no "
            "viewers in that period).",
        ),
        20601: _state(
            Category.NOT_LIVE,
            "Nothing to fix: this stream id has never been pushed. If it should "
            "have been, check the stream name the publisher uses.",
        ),
    }
)

_API3_COMMON: dict[str, ErrorInfo] = {
    "AuthFailure": _auth(
        "Tencent refused the request's credentials: check the SecretId/SecretKey "
        "pair in 访问管理 CAM > API 密钥管理 and the request signing."
    ),
    "AuthFailure.InvalidAuthorization": _auth(
        "The Authorization header is not in TC3-HMAC-SHA256 form: let Tencent's "
        "SDK sign the request, or check how the caller builds the header."
    ),
    "AuthFailure.InvalidSecretId": _auth(
        "The SecretId is malformed: copy it again from "
        "访问管理 CAM > API 密钥管理 into the function's settings."
    ),
    "AuthFailure.MFAFailure": _auth(
        "An MFA condition refused the call: remove MFA from API access of this "
        "sub-account in 访问管理 CAM > 用户列表, or use another key."
    ),
    "AuthFailure.SecretIdNotFound": _auth(
        "The SecretId does not exist or is disabled: create or re-enable a key in "
        "访问管理 CAM > API 密钥管理 and update the function's settings."
    ),
    "AuthFailure.SignatureExpire": _auth(
        "The request time is more than 5 minutes off Tencent's clock: synchronise "
        "the caller's clock (NTP) and sign each request just before sending."
    ),
    "AuthFailure.SignatureFailure": _auth(
        "The TC3-HMAC-SHA256 signature did not match: check that the SecretKey "
        "pairs with the SecretId in 访问管理 CAM > API 密钥管理."
    ),
    "AuthFailure.TokenFailure": _auth(
        "The temporary credential token is invalid or expired: fetch fresh STS "
        "credentials (the role or X-TC-Token) before calling again."
    ),
    "AuthFailure.UnauthorizedOperation": _auth(
        "The key's CAM user may not call this action: grant a policy allowing "
        "live:<Action> in 访问管理 CAM > 用户 > 权限."
    ),
    "DryRunOperation": _bad_request(
        "The request carried DryRun, so nothing was done: remove the DryRun "
        "parameter from the call.",
        Severity.WARNING,
    ),
    "FailedOperation": _failed(
        "Tencent could not carry out the operation: read the upstream message for "
        "the cause, and open a 工单 with the RequestId if it names none."
    ),
    "InternalError": _transient(_RETRY),
    "InvalidAction": _bad_request(
        "The action does not exist: check X-TC-Action, the version 2018-08-01 and "
        "the endpoint live.tencentcloudapi.com."
    ),
    "InvalidParameter": _bad_request(_BAD_PARAMETER),
    "InvalidParameterValue": _bad_request(
        "A parameter value is out of range or of the wrong form: check DomainName, "
        "AppName, StreamName and time formats against the action's reference."
    ),
    "LimitExceeded": _config(
        "A quota was exceeded: reduce the resources or tasks in use, or ask for a "
        "higher quota through a 工单."
    ),
    "MissingParameter": _bad_request(
        "A required parameter is missing: stream actions need DomainName, AppName "
        "and StreamName; the upstream message names the field."
    ),
    "NoSuchVersion": _bad_request(
        "The API version does not exist: send X-TC-Version 2018-08-01 for the live API."
    ),
    "RequestLimitExceeded": _rate_limited(
        "The action's rate limit was hit: back off and retry, and spread polling "
        "over time (one large page beats many small ones)."
    ),
    "RequestLimitExceeded.GlobalRegionUinLimitExceeded": _rate_limited(
        "The account hit its rate limit across all regions: back off and retry, "
        "and reduce the number of systems calling at once."
    ),
    "RequestLimitExceeded.UinLimitExceeded": _rate_limited(
        "The account hit its rate limit across all its keys: back off and retry, "
        "and find which other systems call the live API with this account."
    ),
    "ResourceInUse": _bad_request(
        "The resource is in use: release it (unbind the template, stop the task) "
        "before changing it."
    ),
    "ResourceInsufficient": _failed(
        "Tencent had too few resources for the request: retry later, and open a "
        "工单 with the RequestId if it persists."
    ),
    "ResourceNotFound": _config(
        "The resource named does not exist for this account: check DomainName, "
        "AppName and the key's account against 云直播控制台 > 域名管理."
    ),
    "ResourceUnavailable": _config(
        "The resource exists but cannot be used now (stopped, frozen or being set "
        "up): check it in 云直播控制台 and the account in 费用中心."
    ),
    "UnauthorizedOperation": _auth(
        "The CAM user may not act on this resource: grant the live action on it in "
        "访问管理 CAM > 策略, and check the key belongs to the right account."
    ),
    "UnknownParameter": _bad_request(
        "The request carried a parameter the action does not know: remove it or "
        "fix its spelling (names are case sensitive)."
    ),
    "UnsupportedOperation": _config(
        "The operation is not supported for this account or resource state: check "
        "the account's live mode and the resource in 云直播控制台."
    ),
    "UnsupportedProtocol": _bad_request(
        "The HTTP method or protocol is not accepted: call over HTTPS with POST "
        "and a JSON body, or with GET."
    ),
    "UnsupportedRegion": _config(
        "The action is not offered in that region: omit X-TC-Region for stream "
        "actions, or use a region the live API supports."
    ),
}

# Codes Tencent's Python SDK raises itself (TencentCloudSDKException.code).
_API3_SDK: dict[str, ErrorInfo] = {
    "ClientError": _bad_request(
        "The SDK refused to build the request (signature method, headers or "
        "options): check how the client and its HttpProfile are configured."
    ),
    "ClientError.MetadataError": _transient(
        "Role credentials could not be read from the metadata service: check the "
        "role bound to the function, then retry."
    ),
    "ClientNetworkError": _transient(
        "The SDK could not reach Tencent (DNS, TCP or TLS failed): check the "
        "function's outbound network and VPC/NAT settings, then retry."
    ),
    "ClientParamsError": _bad_request(
        "The SDK could not serialise the request: check the types of the values "
        "put into the request model."
    ),
    "ClientSideError": _auth(
        "The SDK found no usable credentials: set the SecretId and SecretKey (or "
        "the role) that the function is configured to read."
    ),
    "InvalidCredential": _auth(
        "The SecretId or SecretKey is empty or contains spaces: fix the value in "
        "the function's configuration."
    ),
    "ServerNetworkError": _transient(
        "Tencent's gateway answered with a non-200 HTTP status: retry with "
        "backoff; if it persists, check the endpoint and open a 工单."
    ),
}

_API3_FAILED_OPERATION: dict[str, ErrorInfo] = {
    "FailedOperation.AiTranscodeOptionFail": _transient(
        "The AI transcoding service failed: retry later, and check the template's "
        "AI options in 云直播控制台 > 功能配置 > 直播转码."
    ),
    "FailedOperation.AlterTaskState": _transient(
        "The task's state could not be changed: wait for any pending change of the "
        "task to finish, then retry."
    ),
    "FailedOperation.AuthError": _auth(
        "Tencent refused the operation for lack of permission: grant the live "
        "action to the key's CAM user in 访问管理 CAM > 用户 > 权限."
    ),
    "FailedOperation.CallOtherSvrError": _transient(_RETRY),
    "FailedOperation.CallOtherSvrFailed": _transient(_RETRY),
    "FailedOperation.CancelSessionNotExist": _bad_request(_MIX_SESSION_MISSING),
    "FailedOperation.CannotBeDeletedIssued": _bad_request(
        "An issued certificate cannot be deleted: revoke it or let it expire in "
        "SSL 证书控制台 > 我的证书."
    ),
    "FailedOperation.CannotBeDeletedWithinHour": _bad_request(
        "A free certificate cannot be deleted within an hour of applying: delete "
        "it once the hour has passed."
    ),
    "FailedOperation.CasterBinded": _bad_request(
        "The caster is bound to a prepaid package: unbind the package in "
        "云直播控制台 > 直播工具 > 云导播台 first."
    ),
    "FailedOperation.CasterExpired": _config(
        "The caster has expired: renew it in 云直播控制台 > 直播工具 > 云导播台 "
        "before using it."
    ),
    "FailedOperation.CasterNotFound": _bad_request(_CASTER_MISSING),
    "FailedOperation.CertificateExists": _bad_request(
        "The certificate was already uploaded: reuse its id from "
        "SSL 证书控制台 > 我的证书."
    ),
    "FailedOperation.CertificateInvalid": _bad_request(_CERT_BAD),
    "FailedOperation.CertificateMismatch": _bad_request(_CERT_KEY_MISMATCH),
    "FailedOperation.CertificateNotFound": _bad_request(_CERT_MISSING),
    "FailedOperation.ConfInUsed": _bad_request(_TEMPLATE_IN_USE),
    "FailedOperation.ConfigCDNFailed": _transient(
        "Pushing the configuration to the CDN failed: retry later, and check the "
        "domain's state in 云直播控制台 > 域名管理."
    ),
    "FailedOperation.ConflictAction": _transient(
        "Another operation on the same task is running: wait for it to finish, "
        "then retry."
    ),
    "FailedOperation.CosBucketNotExist": _config(
        "The COS bucket does not exist: create it, or fix the bucket name and "
        "region, in 对象存储 COS 控制台 > 存储桶列表."
    ),
    "FailedOperation.CosBucketNotPermission": _config(
        "Cloud Live may not write to the COS bucket: grant it access in "
        "对象存储 COS 控制台 > 存储桶列表 > 权限管理."
    ),
    "FailedOperation.CosRoleNotExists": _config(
        "Cloud Live has no role to reach COS: authorise it in "
        "云直播控制台 > 功能配置 > 直播截图&鉴黄."
    ),
    "FailedOperation.CreateAIGCTaskFailed": _transient(_RETRY),
    "FailedOperation.CreateCasterTaskFailed": _transient(
        "The caster's main or preview task could not start, often because of a "
        "concurrent change to it: wait, then retry once."
    ),
    "FailedOperation.DatabaseNotAccessible": _transient(_RETRY),
    "FailedOperation.DeleteDomainInLockedTime": _bad_request(
        "The domain carried traffic in the last 2 days and is locked: delete it "
        "after 2 days without traffic."
    ),
    "FailedOperation.DomainAdded": _bad_request(_DOMAIN_EXISTS),
    "FailedOperation.DomainGslbFail": _transient(_DOMAIN_ROUTING),
    "FailedOperation.DomainNeedRealName": _config(
        "The domain needs real-name verification: complete it in 账号中心 > 实名认证."
    ),
    "FailedOperation.DomainNeedVerifyOwner": _config(
        "The domain's ownership is not verified: add the TXT record shown in "
        "云直播控制台 > 域名管理 and verify it."
    ),
    "FailedOperation.ExceedsFreeLimit": _config(
        "The free certificate quota is used up: delete unused free certificates or "
        "buy one in SSL 证书控制台."
    ),
    "FailedOperation.GetDataFailed": _transient(_RETRY),
    "FailedOperation.GetPictureUrlError": _bad_request(
        "The watermark image URL could not be fetched: check that PictureUrl is "
        "public and points to an image."
    ),
    "FailedOperation.GetStreamResolutionError": _transient(
        "The input stream's resolution could not be read: check that the stream is "
        "being pushed, then retry."
    ),
    "FailedOperation.HasNotLivingStream": _state(Category.NOT_LIVE, _NOT_LIVE),
    "FailedOperation.HostOutLimit": _config(
        "The account reached its domain limit (100): remove unused domains in "
        "云直播控制台 > 域名管理, or ask for more through a 工单."
    ),
    "FailedOperation.InputAlreadyExist": _bad_request(_CASTER_ITEM_EXISTS),
    "FailedOperation.InputIsNotActive": _bad_request(
        "The caster input's source is not active: start pushing that source, then "
        "retry."
    ),
    "FailedOperation.InputNotExist": _bad_request(_CASTER_ITEM_MISSING),
    "FailedOperation.InputStreamMixTypeNotAccessible": _bad_request(
        "Mixed (c) streams cannot be monitored: choose the original input stream "
        "instead."
    ),
    "FailedOperation.InputUsedInAutoCast": _bad_request(_CASTER_ITEM_IN_USE),
    "FailedOperation.InputUsedInLayout": _bad_request(_CASTER_ITEM_IN_USE),
    "FailedOperation.InputUsedInPgm": _bad_request(_CASTER_ITEM_IN_USE),
    "FailedOperation.InputUsedInPvw": _bad_request(_CASTER_ITEM_IN_USE),
    "FailedOperation.InvalidCertificateStatusCode": _bad_request(
        "The certificate's status does not allow this: check it in "
        "SSL 证书控制台 > 我的证书."
    ),
    "FailedOperation.InvalidParam": _bad_request(_BAD_PARAMETER),
    "FailedOperation.InvokeCdnApiFail": _transient(_RETRY),
    "FailedOperation.InvokeVideoApiFail": _transient(_RETRY),
    "FailedOperation.JiFeiNoEnoughFund": _account(
        "The billing platform reports too low a balance: top up in "
        "费用中心 > 充值, then retry."
    ),
    "FailedOperation.LayoutAlreadyExist": _bad_request(_CASTER_ITEM_EXISTS),
    "FailedOperation.LayoutNotExist": _bad_request(_CASTER_ITEM_MISSING),
    "FailedOperation.LayoutUsedInAutoCast": _bad_request(_CASTER_ITEM_IN_USE),
    "FailedOperation.LayoutUsedInPgm": _bad_request(_CASTER_ITEM_IN_USE),
    "FailedOperation.LayoutUsedInPvw": _bad_request(_CASTER_ITEM_IN_USE),
    "FailedOperation.MarkPicAlreadyExist": _bad_request(_CASTER_ITEM_EXISTS),
    "FailedOperation.MarkPicNotExist": _bad_request(_CASTER_ITEM_MISSING),
    "FailedOperation.MarkPicUsedInAutoCast": _bad_request(_CASTER_ITEM_IN_USE),
    "FailedOperation.MarkWordAlreadyExist": _bad_request(_CASTER_ITEM_EXISTS),
    "FailedOperation.MarkWordNotExist": _bad_request(_CASTER_ITEM_MISSING),
    "FailedOperation.MarkWordUsedInAutoCast": _bad_request(_CASTER_ITEM_IN_USE),
    "FailedOperation.MonitorIsActive": _bad_request(
        "The monitoring task is running: stop it before changing or deleting it."
    ),
    "FailedOperation.MonitorLimitExceeded": _config(
        "The account reached its monitoring task limit: delete unused tasks in "
        "云直播控制台 (直播监播), or ask for more through a 工单."
    ),
    "FailedOperation.MonitorNotExist": _bad_request(
        "The monitoring task does not exist: check MonitorId against the list in "
        "云直播控制台 (直播监播)."
    ),
    "FailedOperation.NetworkError": _transient(
        "The certificate authority is busy: retry in a few minutes."
    ),
    "FailedOperation.NoBackupInput": _bad_request(
        "The caster has no backup input: set one before switching to it."
    ),
    "FailedOperation.NoLVBPushOrPlayDomain": _config(
        "The account has no push or play domain: add one in 云直播控制台 > 域名管理."
    ),
    "FailedOperation.NoPgmRunning": _bad_request(
        "The caster's main output (PGM) is not running: start it first."
    ),
    "FailedOperation.NoProjectPermission": _auth(
        "The CAM user has no permission on the project: grant project access in "
        "访问管理 CAM > 用户 > 权限."
    ),
    "FailedOperation.NoRealNameAuth": _config(
        "The account has not completed real-name verification: complete it in "
        "账号中心 > 实名认证."
    ),
    "FailedOperation.NotFound": _bad_request(_RECORD_MISSING),
    "FailedOperation.OutOfService": _account(_ACCOUNT_STOPPED),
    "FailedOperation.OutputAlreadyExist": _bad_request(_CASTER_ITEM_EXISTS),
    "FailedOperation.OutputIsNotExist": _bad_request(_CASTER_ITEM_MISSING),
    "FailedOperation.ParentDomainAdded": _bad_request(_DOMAIN_EXISTS),
    "FailedOperation.ProcessMixError": _failed(
        "The stream mix could not start: check the mix parameters and that every "
        "input stream is live, then retry once."
    ),
    "FailedOperation.QueryAIGCTaskFailed": _transient(_RETRY),
    "FailedOperation.QueryUploadInfoFailed": _transient(_RETRY),
    "FailedOperation.RelateServerNotAccessible": _transient(_RETRY),
    "FailedOperation.RelatedRunningMonitorLimitExceeded": _config(
        "Too many running monitoring tasks use this input: stop some of them first."
    ),
    "FailedOperation.ReleaseCasterFailed": _transient(_RETRY),
    "FailedOperation.ResourceNotEnough": _transient(
        "Tencent had too few resources to start the task: retry later."
    ),
    "FailedOperation.RuleAlreadyExist": _bad_request(_RULE_EXISTS),
    "FailedOperation.SdkNoPackage": _not_enabled(
        "The account has no valid traffic package for the SDK: buy or bind one in "
        "云直播控制台 > 资源包管理."
    ),
    "FailedOperation.StartPullFailed": _transient(
        "The pull task could not start: check that the source URL is reachable "
        "from the internet, then retry."
    ),
    "FailedOperation.StartTaskFailed": _failed(
        "The monitoring task could not start: check that its inputs are live and "
        "retry once; open a 工单 if it keeps failing."
    ),
    "FailedOperation.StopCasterTaskFailed": _transient(
        "The caster task could not stop, often because it was being started at "
        "the same time: wait, then retry."
    ),
    "FailedOperation.StopPullFailed": _transient(_RETRY),
    "FailedOperation.StopTaskFailed": _transient(_RETRY),
    "FailedOperation.StreamNotExist": _state(Category.NOT_LIVE, _NOT_LIVE),
    "FailedOperation.SubDomainAdded": _bad_request(_DOMAIN_EXISTS),
    "FailedOperation.TagUnbindError": _failed(
        "The tag could not be unbound: unbind it by hand in the 标签 console, then "
        "retry."
    ),
    "FailedOperation.TooMuchInput": _bad_request(
        "Too many inputs in the request: send fewer inputs."
    ),
}

_API3_INTERNAL_ERROR: dict[str, ErrorInfo] = {
    "InternalError.ArgsNotMatch": _bad_request(_TRANSCODE_ARGS),
    "InternalError.CallOtherSvrError": _transient(_RETRY),
    "InternalError.ChineseCharacterDetected": _bad_request(
        "Chinese domain names are not supported: use an ASCII (punycode) domain."
    ),
    "InternalError.ConfInUsed": _bad_request(_TEMPLATE_IN_USE),
    "InternalError.ConfNotFound": _bad_request(_TEMPLATE_MISSING),
    "InternalError.ConfOutLimit": _config(_TEMPLATE_LIMIT),
    "InternalError.ConfigNotExist": _config(
        "Tencent has no configuration for the domain or app named: check "
        "DomainName and AppName in 云直播控制台 > 域名管理."
    ),
    "InternalError.ConnectDbError": _transient(_RETRY),
    "InternalError.CrtDateInUsing": _bad_request(_CERT_IN_USE),
    "InternalError.CrtDateNotFound": _bad_request(_CERT_MISSING),
    "InternalError.CrtDateNotLegal": _bad_request(_CERT_BAD),
    "InternalError.CrtDateOverdue": _config(_CERT_EXPIRED),
    "InternalError.CrtDomainNotFound": _bad_request(_CERT_NO_DOMAIN),
    "InternalError.CrtKeyNotMatch": _bad_request(_CERT_KEY_MISMATCH),
    "InternalError.DBError": _transient(_RETRY),
    "InternalError.DomainAlreadyExist": _bad_request(_DOMAIN_EXISTS),
    "InternalError.DomainFormatError": _bad_request(_DOMAIN_FORMAT),
    "InternalError.DomainGslbFail": _transient(_DOMAIN_ROUTING),
    "InternalError.DomainIsFamous": _bad_request(_DOMAIN_RESERVED),
    "InternalError.DomainIsLimited": _config(_DOMAIN_RESTRICTED),
    "InternalError.DomainNoRecord": _config(_DOMAIN_ICP),
    "InternalError.DomainNotExist": _config(_DOMAIN_MISSING),
    "InternalError.DomainTooLong": _bad_request(_DOMAIN_TOO_LONG),
    "InternalError.GetBizidError": _transient(_RETRY),
    "InternalError.GetConfigError": _transient(_RETRY),
    "InternalError.GetStreamInfoError": _transient(_RETRY),
    "InternalError.GetUpstreamInfoError": _transient(_RETRY),
    "InternalError.GetWatermarkError": _transient(_RETRY),
    "InternalError.HasNotLivingStream": _state(Category.NOT_LIVE, _NOT_LIVE),
    "InternalError.InvalidInput": _bad_request(_BAD_PARAMETER),
    "InternalError.InvalidRequest": _bad_request(_BAD_PARAMETER),
    "InternalError.InvalidUser": _config(
        "Tencent could not read the account's information: check that the key "
        "belongs to the account owning the domains; if so, open a 工单."
    ),
    "InternalError.JiFeiOtherError": _failed(
        "The billing platform failed: check 费用中心 for arrears, and open a 工单 "
        "if the account is in order."
    ),
    "InternalError.NetworkError": _transient(_RETRY),
    "InternalError.NotFound": _bad_request(_RECORD_MISSING),
    "InternalError.NotPermmitOperat": _auth(
        "The account may not perform this operation: check the key's permissions "
        "in 访问管理 CAM and that the domain belongs to this account."
    ),
    "InternalError.PlayDomainNoRecord": _config(_PLAY_DOMAIN_MISSING),
    "InternalError.ProcessorAlreadyExist": _bad_request(_TRANSCODE_NAME_TAKEN),
    "InternalError.PushDomainNoRecord": _config(_PUSH_DOMAIN_MISSING),
    "InternalError.QueryProIspPlayInfoError": _transient(_RETRY),
    "InternalError.QueryUploadInfoFailed": _transient(_RETRY),
    "InternalError.RuleAlreadyExist": _bad_request(_RULE_EXISTS),
    "InternalError.RuleInUsing": _bad_request(
        "The rule is in use: unbind it from its domain before changing or deleting it."
    ),
    "InternalError.RuleNotFound": _bad_request(_RULE_MISSING),
    "InternalError.RuleOutLimit": _config(_RULE_LIMIT),
    "InternalError.StreamStatusError": _transient(
        "The stream was in an unexpected state (perhaps starting or stopping) "
        "while Tencent handled the request: retry shortly."
    ),
    "InternalError.SystemError": _transient(_RETRY),
    "InternalError.UpdateDataError": _transient(_RETRY),
    "InternalError.WatermarkAddError": _transient(_RETRY),
    "InternalError.WatermarkEditError": _transient(_RETRY),
    "InternalError.WatermarkNotExist": _bad_request(_WATERMARK_MISSING),
}

_API3_INVALID_PARAMETER: dict[str, ErrorInfo] = {
    "InvalidParameter.ArgsNotMatch": _bad_request(_TRANSCODE_ARGS),
    "InvalidParameter.COSCustomFileNameError": _bad_request(
        "The custom COS file name is invalid: check the file name pattern of the "
        "recording or snapshot template."
    ),
    "InvalidParameter.CancelSessionNotExist": _bad_request(_MIX_SESSION_MISSING),
    "InvalidParameter.CloudCrtIdError": _bad_request(
        "The CloudCertId is wrong: copy the certificate id from "
        "SSL 证书控制台 > 我的证书."
    ),
    "InvalidParameter.CloudDomainIsStop": _config(
        "The free Tencent test domain has expired: add a domain of your own in "
        "云直播控制台 > 域名管理."
    ),
    "InvalidParameter.ConfInUsed": _bad_request(_TEMPLATE_IN_USE),
    "InvalidParameter.ConfNotFound": _bad_request(_TEMPLATE_MISSING),
    "InvalidParameter.CrtDateInUsing": _bad_request(_CERT_IN_USE),
    "InvalidParameter.CrtDateNotFound": _bad_request(_CERT_MISSING),
    "InvalidParameter.CrtDateNotLegal": _bad_request(_CERT_BAD),
    "InvalidParameter.CrtDateOverdue": _config(_CERT_EXPIRED),
    "InvalidParameter.CrtDomainNotFound": _bad_request(_CERT_NO_DOMAIN),
    "InvalidParameter.CrtKeyNotMatch": _bad_request(_CERT_KEY_MISMATCH),
    "InvalidParameter.CrtOrKeyNotExist": _bad_request(
        "The certificate or its private key is missing from the request: send both."
    ),
    "InvalidParameter.DomainAlreadyExist": _bad_request(_DOMAIN_EXISTS),
    "InvalidParameter.DomainFormatError": _bad_request(_DOMAIN_FORMAT),
    "InvalidParameter.DomainHitBlackList": _config(
        "The domain is on Tencent's blocklist: use another domain, or ask about it "
        "through a 工单."
    ),
    "InvalidParameter.DomainIsFamous": _bad_request(_DOMAIN_RESERVED),
    "InvalidParameter.DomainIsLimited": _config(_DOMAIN_RESTRICTED),
    "InvalidParameter.DomainNotExists": _config(_DOMAIN_MISSING),
    "InvalidParameter.DomainTooLong": _bad_request(_DOMAIN_TOO_LONG),
    "InvalidParameter.GopMustEqualAndExists": _bad_request(
        "Every sub-template of an adaptive-bitrate template needs the same GOP: "
        "set an equal Gop on each."
    ),
    "InvalidParameter.InputNumLimitExceeded": _bad_request(
        "Too many inputs for this operation: send fewer inputs."
    ),
    "InvalidParameter.InvalidBackgroudResolution": _bad_request(
        "The background width or height is not allowed: use a resolution within "
        "the mix limits."
    ),
    "InvalidParameter.InvalidBackupToUrl": _bad_request(
        "The backup push address is invalid: use a full rtmp:// URL of a domain "
        "that accepts pushes."
    ),
    "InvalidParameter.InvalidBitrate": _bad_request(
        "The output bitrate is out of range: choose a bitrate the template allows."
    ),
    "InvalidParameter.InvalidCallbackUrl": _bad_request(
        "The callback URL is malformed: use a full http(s):// URL, as entered in "
        "云直播控制台 > 功能配置 > 直播回调."
    ),
    "InvalidParameter.InvalidCropParam": _bad_request(
        "The crop area extends beyond the source picture: shrink it to fit the "
        "input resolution."
    ),
    "InvalidParameter.InvalidLayerParam": _bad_request(
        "A mix layer's parameters are invalid: check the position, size and order "
        "of each layer."
    ),
    "InvalidParameter.InvalidMixInputParam": _bad_request(
        "The mix input parameters are invalid: check each input stream's name and "
        "layout."
    ),
    "InvalidParameter.InvalidOutputParam": _bad_request(
        "The mix output parameters are invalid: check the output stream name and "
        "its encoding settings."
    ),
    "InvalidParameter.InvalidOutputStreamID": _bad_request(
        "The output stream id is already taken: choose a stream name that no other "
        "mix or publisher uses."
    ),
    "InvalidParameter.InvalidOutputType": _bad_request(
        "The output type does not fit the output StreamId: make "
        "OutputParams.StreamId and OutputType agree."
    ),
    "InvalidParameter.InvalidPictureID": _bad_request(
        "No watermark id was set: send the PictureId of an existing watermark."
    ),
    "InvalidParameter.InvalidProtocol": _bad_request(
        "The protocol is not supported here: use one the action accepts, such as "
        "rtmp for pushes."
    ),
    "InvalidParameter.InvalidRoundRectRadius": _bad_request(
        "The rounded-corner radius is invalid: use a radius below half of the "
        "shorter side."
    ),
    "InvalidParameter.InvalidSourceUrl": _bad_request(
        "The source URL is malformed: use a full URL the pull task can reach."
    ),
    "InvalidParameter.InvalidStreamName": _bad_request(
        "The stream name is invalid: send the name as pushed, without domain, "
        "AppName or query string."
    ),
    "InvalidParameter.InvalidTaskId": _bad_request(
        "The TaskId is malformed: send the id returned when the task was created."
    ),
    "InvalidParameter.InvalidTaskTime": _bad_request(
        "The task's time range is outside the limits: check StartTime, EndTime and "
        "the task's maximum duration."
    ),
    "InvalidParameter.InvalidToUrl": _bad_request(
        "The target push URL is malformed: use a full rtmp:// URL."
    ),
    "InvalidParameter.InvalidUrl": _bad_request(
        "A URL in the request is malformed: check its scheme, host and escaping."
    ),
    "InvalidParameter.InvalidVodFileName": _bad_request(
        "The VOD file name is invalid: check the file name pattern of the "
        "recording template."
    ),
    "InvalidParameter.InvalidWatermark": _bad_request(
        "The watermark parameters are invalid: check its position and size against "
        "the video size."
    ),
    "InvalidParameter.MatchRuleOnlySupportNormalSuffix": _bad_request(
        "The match rule accepts audio and video file suffixes only: use a suffix "
        "such as .mp4 or .flv."
    ),
    "InvalidParameter.MpHostDelete": _bad_request(
        "A mini-program domain deleted this month cannot be added again: wait for "
        "next month or use another domain."
    ),
    "InvalidParameter.MpPluginNoUse": _config(
        "The mini-program live plug-in is not authorised: authorise it for the "
        "mini program first."
    ),
    "InvalidParameter.NotAllowUseLVB": _not_enabled(_NOT_REGISTERED),
    "InvalidParameter.OtherError": _bad_request(
        "Tencent refused a parameter without naming the reason: read the upstream "
        "message, and open a 工单 with the RequestId if it does not help."
    ),
    "InvalidParameter.ProcessorAlreadyExist": _bad_request(_TRANSCODE_NAME_TAKEN),
    "InvalidParameter.RuleNotFound": _bad_request(_RULE_MISSING),
    "InvalidParameter.SessionOutputStreamChanged": _bad_request(
        "The output stream of a running mix session cannot change: cancel the "
        "session, then start one with the new output."
    ),
    "InvalidParameter.TaskNotExist": _bad_request(_TASK_MISSING),
    "InvalidParameter.TaskNumMoreThanLimit": _config(
        "The account reached its task limit: delete finished tasks, or ask for a "
        "higher limit through a 工单."
    ),
    "InvalidParameter.TemplateNotFound": _bad_request(_TEMPLATE_MISSING),
    "InvalidParameter.TemplateNotMatchInputNum": _bad_request(
        "The mix template expects another number of inputs: send as many input "
        "streams as the template defines."
    ),
    "InvalidParameter.ToUrlNoPermission": _config(
        "The target address may not be pushed to: use a push domain of this "
        "account, or one that accepts external pushes."
    ),
    "InvalidParameter.UrlNotSafe": _config(
        "The URL's domain does not resolve correctly: fix its DNS records, then retry."
    ),
}

_API3_RESOURCE: dict[str, ErrorInfo] = {
    "LimitExceeded.MaximumRunningTask": _config(
        "Too many tasks are running at once: wait for some to finish or stop unused "
        "ones before starting another."
    ),
    "LimitExceeded.MaximumTask": _config(
        "Today's task creation limit is reached: create the task tomorrow, or ask "
        "for a higher limit through a 工单."
    ),
    "LimitExceeded.RateLimitExceeded": _rate_limited(
        "The action's request rate limit was hit: back off and retry, and poll "
        "less often."
    ),
    "ResourceNotFound.CasterNotExists": _bad_request(_CASTER_MISSING),
    "ResourceNotFound.CdnLogEmpty": _state(
        Category.EMPTY,
        "Nothing to fix: there is no log for that period yet (no traffic, or the "
        "logs are not ready); ask again later.",
    ),
    "ResourceNotFound.CdnThemeEmpty": _config(
        "The log topic does not exist: check the domain's log delivery settings "
        "in 云直播控制台 before asking for logs."
    ),
    "ResourceNotFound.ChannelNotExist": _bad_request(
        "The channel does not exist: check the channel id, which in live-code "
        "mode is the stream name."
    ),
    "ResourceNotFound.CrtDateNotFound": _bad_request(_CERT_MISSING),
    "ResourceNotFound.CrtDomainNotFound": _bad_request(_CERT_NO_DOMAIN),
    "ResourceNotFound.DomainNoRecord": _config(_DOMAIN_ICP),
    "ResourceNotFound.DomainNotExist": _config(_DOMAIN_MISSING),
    "ResourceNotFound.EmptyData": _state(
        Category.EMPTY,
        "Nothing to fix: the query found no data for the period and filters given.",
    ),
    "ResourceNotFound.ForbidService": _account(
        "The account is banned from Cloud Live: read the notice in 消息中心 and "
        "open a 工单 to learn why and restore the service."
    ),
    "ResourceNotFound.FreezeService": _account(
        "The account's live service is frozen, usually for arrears: pay in "
        "费用中心 > 账户余额, then open a 工单 if it stays frozen."
    ),
    "ResourceNotFound.InvalidUser": _not_enabled(
        "The account may not use this action: check that it runs in the mode the "
        "action needs, and open a 工单 to have the action enabled."
    ),
    "ResourceNotFound.NotBindPackage": _not_enabled(
        "The prepaid account has no package bound: buy or bind one in "
        "云直播控制台 > 资源包管理."
    ),
    "ResourceNotFound.PlayDomainNoRecord": _config(_PLAY_DOMAIN_MISSING),
    "ResourceNotFound.PushDomainNoRecord": _config(_PUSH_DOMAIN_MISSING),
    "ResourceNotFound.StopService": _account(_ACCOUNT_STOPPED),
    "ResourceNotFound.StreamNotAlive": _state(Category.NOT_LIVE, _NOT_LIVE),
    "ResourceNotFound.TaskId": _bad_request(_TASK_MISSING),
    "ResourceNotFound.TaskNotFound": _bad_request(_TASK_MISSING),
    "ResourceNotFound.TemplateNotExists": _bad_request(_TEMPLATE_MISSING),
    "ResourceNotFound.UserDisableService": _not_enabled(
        "The live service was switched off from this account: switch it on again "
        "in 云直播控制台 before calling."
    ),
    "ResourceNotFound.UserNotExist": _not_enabled(_NOT_REGISTERED),
    "ResourceNotFound.UserNotFount": _not_enabled(_NOT_REGISTERED),
    "ResourceNotFound.WatermarkNotExist": _bad_request(_WATERMARK_MISSING),
    "ResourceUnavailable.InvalidVodStatus": _not_enabled(
        "Video on Demand is not enabled, so recordings cannot be stored: enable it "
        "in 云点播控制台, or record to COS instead."
    ),
    "ResourceUnavailable.StreamNotExist": _state(Category.NOT_LIVE, _NOT_LIVE),
    "UnsupportedOperation.NotLVBCodeMode": _config(
        "The account is not in live-code (直播码) mode, which this action needs: "
        "check the mode in 云直播控制台 and open a 工单 to migrate."
    ),
}

API3_ERRORS: Mapping[str, ErrorInfo] = MappingProxyType(
    {
        **_API3_COMMON,
        **_API3_SDK,
        **_API3_FAILED_OPERATION,
        **_API3_INTERNAL_ERROR,
        **_API3_INVALID_PARAMETER,
        **_API3_RESOURCE,
    }
)

# Families whose members all mean the same thing; they catch codes Tencent adds
# after these tables were written. Keys end with the dot that separates levels.
API3_PREFIX_ERRORS: Mapping[str, ErrorInfo] = MappingProxyType(
    {
        "AuthFailure.": _API3_COMMON["AuthFailure"],
        "InvalidParameter.": _API3_COMMON["InvalidParameter"],
        "InvalidParameterValue.": _API3_COMMON["InvalidParameterValue"],
        "MissingParameter.": _API3_COMMON["MissingParameter"],
        "RequestLimitExceeded.": _API3_COMMON["RequestLimitExceeded"],
        "ResourceNotFound.": _API3_COMMON["ResourceNotFound"],
        "UnauthorizedOperation.": _API3_COMMON["UnauthorizedOperation"],
        "UnknownParameter.": _API3_COMMON["UnknownParameter"],
    }
)

#: What any code missing from the tables maps to.
UNKNOWN_ERROR = ErrorInfo(
    Category.UNKNOWN,
    False,
    Severity.ERROR,
    "The code is not in this package's tables: look it up in Tencent's live API "
    "error code list, and open a 工单 with the RequestId if its meaning is unclear.",
)


# Plain words for each category, used to open every error message.
_WHAT_HAPPENED: Mapping[Category, str] = MappingProxyType(
    {
        Category.AUTH: "the credentials, signature or permission were refused",
        Category.CONFIG: "the account, domain or resource settings do not allow it",
        Category.NOT_ENABLED: "the service or feature is not enabled for the account",
        Category.RATE_LIMITED: "a request rate limit was hit",
        Category.TRANSIENT: "Tencent failed on its side",
        Category.INVALID_INPUT: "the request was malformed or clashes with a resource",
        Category.NOT_LIVE: "the stream is not live (a state, not a failure)",
        Category.EMPTY: "the query found no data (a state, not a failure)",
        Category.UNKNOWN: "the code is not in this package's tables",
    }
)

_LAYER_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "http": "answered HTTP",
        "legacy_access": "legacy API refused the request with",
        "legacy_backend": "legacy API answered code",
        "api3": "API 3.0 answered",
    }
)

_LOG_LIMIT = 1000
_UUID = re.compile(r"[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")


def from_http_status(status: object) -> TencentError:
    """Map an HTTP status from a Tencent endpoint to an error.

    Never raises: any value, however malformed, maps to an entry.

    Args:
        status: the status code; anything that is not an integer maps to the
            unknown entry.

    Returns:
        The error to raise or log, with layer ``http``.
    """
    code = as_int(status)
    info = _find(HTTP_STATUS_ERRORS, code)
    return _error("http", _code_text(status, code), info, None, None)


def from_legacy(ret: object, message: object) -> TencentError:
    """Map a legacy ``common_access`` answer to an error.

    The access layer's messages are checked first, because they come with a
    made-up ``ret``; otherwise the backend ``ret`` code decides. Never raises:
    any value, however malformed, maps to an entry.

    Args:
        ret: the answer's ``ret`` (or ``retcode``).
        message: the answer's ``message`` (or ``errmsg``).

    Returns:
        The error to raise or log, with layer ``legacy_access`` or
        ``legacy_backend``.
    """
    phrase = " ".join(phrase_words(message))
    access = LEGACY_ACCESS_ERRORS.get(phrase)
    if access is not None:
        return _error("legacy_access", phrase, access, message, None)

    code = as_int(ret)
    info = _find(LEGACY_BACKEND_ERRORS, code)
    return _error("legacy_backend", _code_text(ret, code), info, message, None)


def from_api3(code: object, message: object, request_id: object = None) -> TencentError:
    """Map an API 3.0 error (or a code the SDK raised itself) to an error.

    Never raises: any value, however malformed, maps to an entry.

    Args:
        code: ``Response.Error.Code`` or ``TencentCloudSDKException.code``.
        message: ``Response.Error.Message``; bytes are decoded.
        request_id: ``Response.RequestId`` when the answer carried one.

    Returns:
        The error to raise or log, with layer ``api3``.
    """
    info = _api3_info(code)
    rid = _request_id_text(request_id)
    return _error("api3", _code_text(code, None), info, message, rid)


def describe(error: TencentError) -> str:
    """Render an error as one line for logs and alerts.

    Never raises for an error built by this module or by TencentError's own
    constructor.

    Args:
        error: a classified Tencent error.

    Returns:
        The message, then layer, code, category, severity, retryability, state
        and request id, then the remedy; free of control characters and of
        anything shaped like a secret.
    """
    info = error.info
    facts = (
        f"layer={clean(error.layer, CODE_LIMIT)} "
        f"code={clean(error.upstream_code, CODE_LIMIT) or MISSING} "
        f"category={info.category.value} severity={info.severity.value} "
        f"retryable={str(info.retryable).lower()} "
        f"state={str(info.is_state).lower()}"
    )
    request_id = _request_id_text(error.request_id)
    if request_id:
        facts += f" request_id={request_id}"
    message = clean(str(error), _LOG_LIMIT)
    return f"{message} [{facts}] Remedy: {clean(info.remedy, _LOG_LIMIT)}"


def _find(table: Mapping[_Key, ErrorInfo], key: _Key | None) -> ErrorInfo:
    if key is None:
        return UNKNOWN_ERROR
    return table.get(key, UNKNOWN_ERROR)


def _api3_info(code: object) -> ErrorInfo:
    if not isinstance(code, str) or len(code) > CODE_LIMIT:
        return UNKNOWN_ERROR
    key = code.strip()
    exact = API3_ERRORS.get(key)
    if exact is not None:
        return exact

    # Walk from the longest dotted family to the shortest: most specific wins.
    parts = key.split(".")
    for end in range(len(parts) - 1, 0, -1):
        family = API3_PREFIX_ERRORS.get(".".join(parts[:end]) + ".")
        if family is not None:
            return family
    return UNKNOWN_ERROR


def _error(
    layer: str,
    upstream_code: str,
    info: ErrorInfo,
    upstream_message: object,
    request_id: str | None,
) -> TencentError:
    text = f"Tencent {_LAYER_WORDS[layer]} {upstream_code}: "
    text += _WHAT_HAPPENED[info.category]
    detail = clean(upstream_message)
    if detail:
        text += f'; Tencent said "{detail}"'
    return TencentError(
        text,
        upstream_code=upstream_code,
        layer=layer,
        info=info,
        request_id=request_id,
    )


def _code_text(raw: object, parsed: int | None) -> str:
    if parsed is not None:
        return str(parsed)
    return clean(raw, CODE_LIMIT) or MISSING


def _request_id_text(value: object) -> str | None:
    # Tencent's RequestIds are UUIDs, which the secret filter would hide.
    if isinstance(value, str) and _UUID.fullmatch(value):
        return value
    return clean(value, CODE_LIMIT) or None
