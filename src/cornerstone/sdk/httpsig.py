"""The subset of HTTP Message Signatures (RFC 9421) and Digest Fields (RFC 9530) that Cornerstone
clients sign gateway requests with, and gateways verify.

    Content-Digest:  sha-256=:<base64 of sha256(body)>:
    Signature-Input: sig1=("@method" "@authority" "@path" "@query" "content-digest");
                     created=1767225600;keyid="<identity id, hex>";nonce="<random>";alg="ed25519"
    Signature:       sig1=:<base64 signature of the signature base>:

The signer (`sdk/auth.py`) and the verifier (`gateway/auth.py`) build the signature base with the
same functions here, so the two cannot drift apart. What is covered:

- derived components `@method`, `@authority`, `@path`, `@query`, `@target-uri`; header fields by
  their lower-case names (values trimmed, repeated fields joined with ", "); no `;sf`, `;key`,
  `;bs` or `;req` component parameters, no response signatures;
- signature parameters with integer or string values, kept in the order they were sent (the
  `@signature-params` line is their canonical serialization);
- `alg` "ed25519" (RFC 9421 §3.3.6) and "ecdsa-p256-sha256" (§3.3.4, r || s), the two suites
  of `cornerstone.crypto`.

The Structured Field parsers accept exactly the shapes above (RFC 8941 dictionaries whose
members are inner lists of strings, or byte sequences) and refuse anything else with a
`ValueError` naming what is wrong: a verifier that guessed at a malformed header could be made
to check something other than what was signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from cornerstone.crypto import Suite

LABEL: Final = "sig1"
"""The label the SDK signs under."""
ALGORITHMS: Final[Mapping[Suite, str]] = {
    Suite.ED25519: "ed25519",
    Suite.P256: "ecdsa-p256-sha256",
}
"""RFC 9421's name of each suite's signature algorithm."""
DERIVED: Final = frozenset({"@method", "@authority", "@path", "@query", "@target-uri"})
MAX_INTEGER: Final = 999_999_999_999_999
"""RFC 8941: integers have at most 15 digits."""

_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_INTEGER = re.compile(r"-?[0-9]{1,15}")
_COMPONENT = re.compile(r"@?[a-z0-9][a-z0-9\-_.]*")
ParamValue = int | str


@dataclass(frozen=True, slots=True)
class RequestParts:
    """What a signature can cover of one request, as it went over the wire."""

    method: str
    """The method, upper case."""
    scheme: str
    """http or https."""
    authority: str
    """The Host header, lower case (no default port)."""
    path: str
    """The path as sent, still percent-encoded; "/" when empty."""
    query: str
    """The query as sent, without "?"; "" when there is none."""
    headers: Mapping[str, str]
    """Header fields by lower-case name, repeated fields joined with ", "."""


@dataclass(frozen=True, slots=True)
class SignatureParams:
    """One member of Signature-Input: the covered components and the parameters."""

    components: tuple[str, ...]
    """Covered components in order, e.g. ("@method", "@path", "content-digest")."""
    params: tuple[tuple[str, ParamValue], ...]
    """Parameters in the order sent, e.g. (("created", 1767225600), ("keyid", "ab..."))."""

    def get(self, name: str) -> ParamValue | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    def serialize(self) -> str:
        """The inner list as RFC 8941 serializes it: the `@signature-params` value."""
        inner = " ".join(_string(component) for component in self.components)
        params = "".join(
            f";{key}={value if isinstance(value, int) else _string(value)}"
            for key, value in self.params
        )
        return f"({inner}){params}"


def component_value(parts: RequestParts, name: str) -> str:
    """The value of one covered component; KeyError for a header field the request lacks."""
    if name == "@method":
        return parts.method.upper()
    if name == "@authority":
        return parts.authority.lower()
    if name == "@path":
        return parts.path or "/"
    if name == "@query":
        return "?" + parts.query
    if name == "@target-uri":
        query = f"?{parts.query}" if parts.query else ""
        return f"{parts.scheme}://{parts.authority.lower()}{parts.path or '/'}{query}"
    if name.startswith("@"):
        raise ValueError(f"the derived component {name!r} is not supported")
    return parts.headers[name]


def signature_base(parts: RequestParts, signature: SignatureParams) -> bytes:
    """The bytes that are signed (RFC 9421 §2.5): one line per component, then the params."""
    lines = [f"{_string(name)}: {component_value(parts, name)}" for name in signature.components]
    lines.append(f'"@signature-params": {signature.serialize()}')
    text = "\n".join(lines)
    if any(ord(char) > 0x7E or (ord(char) < 0x20 and char != "\n") for char in text):
        raise ValueError("a covered value holds characters a signature base cannot")
    return text.encode("ascii")


def content_digest(body: bytes) -> str:
    """The Content-Digest field value of `body` (RFC 9530), with sha-256."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


# ---------------------------------------------------------------------------- parsing
def parse_signature_input(text: str) -> dict[str, SignatureParams]:
    """The Signature-Input field: label -> covered components and parameters."""
    found: dict[str, SignatureParams] = {}
    for label, reader in _dictionary(text):
        components = reader.inner_list()
        found[label] = SignatureParams(components=components, params=reader.parameters())
        reader.end_of_member()
    return found


def parse_byte_dictionary(text: str) -> dict[str, bytes]:
    """A dictionary of byte sequences: the Signature field, or Content-Digest."""
    found: dict[str, bytes] = {}
    for label, reader in _dictionary(text):
        found[label] = reader.byte_sequence()
        reader.parameters()  # allowed by RFC 8941, meaningless here
        reader.end_of_member()
    return found


def byte_sequence(value: bytes) -> str:
    return f":{base64.b64encode(value).decode()}:"


def _string(value: str) -> str:
    if any(not 0x20 <= ord(char) <= 0x7E for char in value):
        raise ValueError(f"{value!r} cannot be a structured field string")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Reader:
    """A cursor over one structured field value."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def skip(self, characters: str) -> None:
        while self.peek() and self.peek() in characters:
            self.at += 1

    def expect(self, character: str) -> None:
        if self.peek() != character:
            raise ValueError(f"expected {character!r} at position {self.at}")
        self.at += 1

    def key(self) -> str:
        match = _KEY.match(self.text, self.at)
        if match is None:
            raise ValueError(f"expected a key at position {self.at}")
        self.at = match.end()
        return match.group()

    def string(self) -> str:
        self.expect('"')
        out: list[str] = []
        while True:
            char = self.peek()
            if not char:
                raise ValueError("a string is not closed")
            self.at += 1
            if char == '"':
                return "".join(out)
            if char == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\"):
                    raise ValueError(f"a string has a bad escape at position {self.at}")
                self.at += 1
                char = escaped
            elif not 0x20 <= ord(char) <= 0x7E:
                raise ValueError("a string holds a character it cannot")
            out.append(char)

    def byte_sequence(self) -> bytes:
        self.expect(":")
        end = self.text.find(":", self.at)
        if end < 0:
            raise ValueError("a byte sequence is not closed")
        encoded = self.text[self.at : end]
        self.at = end + 1
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("a byte sequence is not base64") from None

    def inner_list(self) -> tuple[str, ...]:
        self.expect("(")
        items: list[str] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.at += 1
                return tuple(items)
            item = self.string()
            if _COMPONENT.fullmatch(item) is None:
                raise ValueError(f"{item!r} is not a component name")
            if self.peek() == ";":
                raise ValueError("component parameters (;sf, ;key, ;bs, ;req) are not supported")
            if item in items:
                raise ValueError(f"the component {item!r} is covered twice")
            items.append(item)
            if self.peek() not in (" ", ")"):
                raise ValueError(f"expected ' ' or ')' at position {self.at}")

    def parameters(self) -> tuple[tuple[str, ParamValue], ...]:
        params: list[tuple[str, ParamValue]] = []
        while self.peek() == ";":
            self.at += 1
            self.skip(" ")
            name = self.key()
            if any(name == seen for seen, _ in params):
                raise ValueError(f"the parameter {name!r} is given twice")
            self.expect("=")
            value: ParamValue
            if self.peek() == '"':
                value = self.string()
            else:
                match = _INTEGER.match(self.text, self.at)
                if match is None or self.text[match.end() : match.end() + 1] == ".":
                    raise ValueError(f"the parameter {name!r} is neither a string nor an integer")
                self.at = match.end()
                value = int(match.group())
            params.append((name, value))
        return tuple(params)

    def end_of_member(self) -> None:
        self.skip(" \t")
        if self.peek():
            self.expect(",")
            self.skip(" \t")
            if not self.peek():
                raise ValueError("a dictionary ends with ','")


def _dictionary(text: str) -> Iterator[tuple[str, _Reader]]:
    """The members of a dictionary: each label, with the reader at its value, which the caller
    reads and then ends with `end_of_member` before asking for the next."""
    reader = _Reader(text.strip(" "))
    seen: set[str] = set()
    while reader.peek():
        label = reader.key()
        if label in seen:
            raise ValueError(f"the label {label!r} is given twice")
        seen.add(label)
        reader.expect("=")
        yield label, reader
