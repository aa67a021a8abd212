"""Who may call the HTTP APIs: SigV4 (what boto3 sends), bearer keys, and the local default.

Policy:

* no access key exists and the server is bound to a loopback address: requests from this
  machine (loopback client, loopback ``Host``, no proxy headers) are allowed without
  credentials, the embedded default; a warning is logged once;
* otherwise every request must carry valid credentials for an active key: a SigV4
  ``Authorization`` header (both APIs) or ``Authorization: Bearer <AccessKeyId>:<Secret>``
  (the REST API only).

The SigV4 signing name is bound to the API: ``AmazonForecast.`` and ``AmazonForecastRuntime.``
targets need ``forecast``, ``SageMaker.`` targets and ``/endpoints/{name}/invocations`` need
``sagemaker``; the REST API (``/api/v1/...``) and ``/invocations`` accept either.

SigV4 is checked by recomputing the signature with botocore's own signer over the received
method, path, query, signed headers and body, with the stored secret.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from forecasthub.api import keys
from forecasthub.services.context import Hub

log = logging.getLogger(__name__)

ALGORITHM = "AWS4-HMAC-SHA256"
# the signing names of boto3's forecast and forecastquery clients, and of its sagemaker and
# sagemaker-runtime clients
SIGNING_SERVICES = ("forecast", "sagemaker")
MAX_SKEW = timedelta(minutes=15)
AMZ_DATE = "%Y%m%dT%H%M%SZ"
REGION_RE = re.compile(r"^[a-z0-9-]{1,32}$")
KEY_ID_RE = re.compile(r"^[A-Z0-9]{16,128}$")
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
NO_KEY_HINT = "create one with `forecasthub create-access-key`"


class AuthError(Exception):
    """A request that is not authenticated; ``aws_type`` is the AWS error name boto3 shows."""

    def __init__(self, aws_type: str, message: str) -> None:
        super().__init__(message)
        self.aws_type = aws_type
        self.message = message


@dataclass(frozen=True)
class Principal:
    access_key_id: str | None  # None: anonymous (local default, no key exists)


@dataclass(frozen=True)
class Incoming:
    """What authentication looks at in a request, independent of the web framework."""

    method: str
    raw_path: str  # as received, still percent-encoded
    query_string: str
    headers: Sequence[tuple[str, str]]  # lower-case names, in order, repeats kept
    body: bytes
    client_host: str | None

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name]


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(host_header: str | None) -> str | None:
    """The name part of a ``Host`` header (``127.0.0.1:8000`` -> ``127.0.0.1``, ``[::1]:80`` -> ``::1``)."""
    if not host_header:
        return None
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class AuthPolicy:
    """Decides whether a request may proceed; blocking (reads the metadata store)."""

    def __init__(self, hub: Hub, *, loopback_bind: bool) -> None:
        self.hub = hub
        self.loopback_bind = loopback_bind
        self._warned = threading.Event()

    def warned(self) -> None:
        """The no-key warning was already given (at start-up)."""
        self._warned.set()

    def authenticate(self, req: Incoming, *, allow_bearer: bool,
                     service: str | None = None) -> Principal:
        """``service``: the signing name a SigV4 request must carry (None: any of
        SIGNING_SERVICES)."""
        if not keys.any_access_key(self.hub):
            return self._anonymous(req)
        authorization = req.header("authorization")
        if not authorization:
            raise AuthError(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token: sign requests with SigV4 (boto3 does) "
                + ("or send 'Authorization: Bearer <AccessKeyId>:<SecretAccessKey>'"
                   if allow_bearer else "using an access key of this server"),
            )
        if authorization.startswith(ALGORITHM + " "):
            return Principal(self._verify_sigv4(req, authorization, service))
        if allow_bearer and authorization[:7].lower() == "bearer ":
            return Principal(self._verify_bearer(authorization[7:].strip()))
        raise AuthError("IncompleteSignatureException",
                        f"unsupported Authorization scheme; use {ALGORITHM}"
                        + (" or Bearer" if allow_bearer else ""))

    # -- the local default ---------------------------------------------------------------
    def _anonymous(self, req: Incoming) -> Principal:
        local = (
            self.loopback_bind
            and is_loopback(req.client_host)
            and is_loopback(host_name(req.header("host")))  # a DNS-rebound page sends its own name
            and not any(req.header(h) for h in PROXY_HEADERS)  # a local proxy forwarding others
        )
        if not local:
            raise AuthError(
                "MissingAuthenticationTokenException",
                "this server has no access key, so it only answers unauthenticated requests made "
                f"on this machine to a server bound to 127.0.0.1; {NO_KEY_HINT}",
            )
        if not self._warned.is_set():
            self._warned.set()
            log.warning("no access key exists: accepting unauthenticated local requests; "
                        "%s to require credentials", NO_KEY_HINT)
        return Principal(None)

    # -- bearer --------------------------------------------------------------------------
    def _verify_bearer(self, token: str) -> str:
        key_id, sep, secret = token.partition(":")
        stored = keys.secret_for(self.hub, key_id) if sep and KEY_ID_RE.match(key_id) else None
        # compare even when unknown, so timing does not tell whether the id exists
        if not hmac.compare_digest((stored or "\0").encode(), secret.encode()) or stored is None:
            raise AuthError("UnrecognizedClientException",
                            "the access key id or secret in the bearer token is not valid")
        return key_id

    # -- SigV4 ---------------------------------------------------------------------------
    def _verify_sigv4(self, req: Incoming, authorization: str, required: str | None = None) -> str:
        fields = parse_authorization(authorization)
        key_id, date, region, service, terminator = fields.scope
        if terminator != "aws4_request" or service not in SIGNING_SERVICES \
                or not REGION_RE.match(region):
            raise AuthError(
                "IncompleteSignatureException",
                "Credential scope must be <AccessKeyId>/<yyyyMMdd>/<region>/<service>/aws4_request "
                f"with service {' or '.join(SIGNING_SERVICES)}",
            )
        if required is not None and service != required:  # a forecast signature is no SageMaker one
            raise AuthError(
                "IncompleteSignatureException",
                "Credential scope must be <AccessKeyId>/<yyyyMMdd>/<region>/<service>/aws4_request "
                f"with service {required} for this API (the request was signed for {service!r})",
            )
        amz_date = req.header("x-amz-date")
        if not amz_date:
            raise AuthError("IncompleteSignatureException", "the X-Amz-Date header is required")
        try:
            when = datetime.strptime(amz_date, AMZ_DATE).replace(tzinfo=UTC)
        except ValueError:
            raise AuthError("IncompleteSignatureException",
                            f"X-Amz-Date {amz_date!r} is not in the form 20240101T000000Z") from None
        if amz_date[:8] != date:
            raise AuthError("InvalidSignatureException",
                            f"the Credential date {date} does not match X-Amz-Date {amz_date}")
        now = datetime.now(UTC)
        if when < now - MAX_SKEW:
            raise AuthError("InvalidSignatureException",
                            f"Signature expired: {amz_date} is now earlier than "
                            f"{(now - MAX_SKEW).strftime(AMZ_DATE)} ({now.strftime(AMZ_DATE)} - 15 min.)")
        if when > now + MAX_SKEW:
            raise AuthError("InvalidSignatureException",
                            f"Signature not yet current: {amz_date} is still later than "
                            f"{(now + MAX_SKEW).strftime(AMZ_DATE)} ({now.strftime(AMZ_DATE)} + 15 min.)")
        signed = fields.signed_headers
        present = {k for k, _ in req.headers}
        required = {"host", "x-amz-date"} | {h for h in present if h.startswith("x-amz-")}
        missing = sorted(required - set(signed))
        if missing:
            raise AuthError("IncompleteSignatureException",
                            f"these headers must be signed: {', '.join(missing)}")
        absent = sorted(set(signed) - present)
        if absent:
            raise AuthError("IncompleteSignatureException",
                            f"signed headers are missing from the request: {', '.join(absent)}")
        body_hash = hashlib.sha256(req.body).hexdigest()
        declared = req.header("x-amz-content-sha256")
        if declared is not None and declared != body_hash:
            raise AuthError("InvalidSignatureException",
                            "X-Amz-Content-SHA256 does not match the request body")

        secret = keys.secret_for(self.hub, key_id)
        if secret is None:
            raise AuthError("UnrecognizedClientException",
                            "The security token included in the request is invalid.")
        expected = compute_signature(req, signed, key_id, secret, region, amz_date, service)
        if not hmac.compare_digest(expected, fields.signature):
            raise AuthError(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. "
                "Check your Secret Access Key and signing method.",
            )
        return key_id


@dataclass(frozen=True)
class AuthorizationFields:
    scope: tuple[str, str, str, str, str]
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> AuthorizationFields:
    """``AWS4-HMAC-SHA256 Credential=.../aws4_request, SignedHeaders=a;b, Signature=hex``."""
    parts: dict[str, str] = {}
    for item in value[len(ALGORITHM):].split(","):
        name, sep, val = item.strip().partition("=")
        if sep:
            parts[name] = val
    credential, signed, signature = (parts.get(k) for k in ("Credential", "SignedHeaders", "Signature"))
    if not credential or not signed or not signature:
        raise AuthError("IncompleteSignatureException",
                        "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'")
    scope = credential.split("/")
    if len(scope) != 5 or not KEY_ID_RE.match(scope[0]) or not re.fullmatch(r"\d{8}", scope[1]):
        raise AuthError("IncompleteSignatureException",
                        "Credential must be <AccessKeyId>/<yyyyMMdd>/<region>/<service>/aws4_request")
    names = tuple(signed.split(";"))
    if any(not n or n != n.lower().strip() for n in names):
        raise AuthError("IncompleteSignatureException", "SignedHeaders must be lower-case names")
    if not re.fullmatch(r"[0-9a-f]{64}", signature):
        raise AuthError("IncompleteSignatureException", "Signature must be 64 hex digits")
    return AuthorizationFields((scope[0], scope[1], scope[2], scope[3], scope[4]), names, signature)


class _ReceivedRequestSigner(SigV4Auth):
    """botocore's SigV4 signer, told to sign exactly the headers the client said it signed."""

    def __init__(self, credentials: Credentials, service: str, region: str,
                 signed: Mapping[str, list[str]]) -> None:
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:  # noqa: ARG002
        header_map = HTTPHeaders()
        for name, values in self._signed.items():
            for value in values:
                header_map[name] = value
        return header_map


def compute_signature(req: Incoming, signed: Sequence[str], key_id: str, secret: str, region: str,
                      amz_date: str, service: str = "forecast") -> str:
    signer = _ReceivedRequestSigner(Credentials(key_id, secret), service, region,
                                    {name: req.all(name) for name in signed})
    headers = {}
    declared = req.header("x-amz-content-sha256")
    if declared is not None:  # botocore then uses it as the payload hash (checked above)
        headers["X-Amz-Content-SHA256"] = declared
    aws_request = AWSRequest(
        method=req.method, url=f"http://{req.header('host') or 'localhost'}{req.raw_path}",
        headers=headers, data=req.body,
        params=parse_qsl(req.query_string, keep_blank_values=True),
    )
    aws_request.context["timestamp"] = amz_date
    canonical = signer.canonical_request(aws_request)
    return signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
