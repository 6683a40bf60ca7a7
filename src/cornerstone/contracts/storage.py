"""Contract state: what a host provides, the byte layout of Map keys, and the write buffer that
makes a transaction all-or-nothing.

Each contract has its own key space (the host decides where it lives). Inside it:

    <map name> 0x00 <key bytes>          value: encoding.encode(value) (a Decimal as its str)

    key type   key bytes                                                   sorts as
    str        UTF-8                                                       code points
    bytes      the bytes                                                   bytes
    int >= 0   0x80, length L (1 byte), L bytes big-endian magnitude       numbers
    int < 0    0x7F, 255 - L, L bytes: 0xFF - each magnitude byte          numbers

Map names match [a-z][a-z0-9_]{0,31}, so no name contains 0x00 and "<name> 0x00" is a prefix
of that map's keys only. Integers fit 64 bytes (MAX_INT_BITS), so L is one byte, and a longer
magnitude always sorts after a shorter one of the same sign. Byte order is key order, so
`Map.range` returns pairs in key order on every node.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator
from typing import Final, Protocol

from cornerstone.module import Writer

SEPARATOR: Final = b"\x00"


class ContractStorage(Protocol):
    """One contract's key space, as a host gives it to the runtime."""

    def get(self, key: bytes) -> bytes | None: ...

    def set(self, key: bytes, value: bytes) -> None: ...

    def delete(self, key: bytes) -> None: ...

    def range(self, start: bytes, stop: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Pairs with start <= key < stop, in increasing key order."""
        ...


# ---------------------------------------------------------------------------- keys
def map_prefix(name: str) -> bytes:
    return name.encode("ascii") + SEPARATOR


def prefix_end(prefix: bytes) -> bytes:
    """The smallest key after every key starting with `prefix` (prefixes end in 0x00)."""
    return prefix[:-1] + bytes((prefix[-1] + 1,))


def encode_key(key_type: str, key: str | int | bytes) -> bytes:
    """The key bytes of a Map key whose type was already checked to be `key_type`."""
    if key_type == "str":
        assert isinstance(key, str)
        return key.encode("utf-8")
    if key_type == "bytes":
        assert isinstance(key, bytes)
        return key
    assert isinstance(key, int)
    magnitude = abs(key)
    raw = magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "big")
    if key >= 0:
        return bytes((0x80, len(raw))) + raw
    return bytes((0x7F, 255 - len(raw))) + bytes(0xFF - b for b in raw)


def decode_key(key_type: str, raw: bytes) -> str | int | bytes:
    if key_type == "str":
        return raw.decode("utf-8")
    if key_type == "bytes":
        return raw
    if raw[0] == 0x80:
        return int.from_bytes(raw[2:], "big")
    return -int.from_bytes(bytes(0xFF - b for b in raw[2:]), "big")


# ---------------------------------------------------------------------------- storages
class MemoryStorage:
    """A ContractStorage in memory, for the harness and tests."""

    def __init__(self) -> None:
        self._values: dict[bytes, bytes] = {}
        self._keys: list[bytes] = []

    def get(self, key: bytes) -> bytes | None:
        return self._values.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        if key not in self._values:
            bisect.insort(self._keys, key)
        self._values[key] = value

    def delete(self, key: bytes) -> None:
        if self._values.pop(key, None) is not None:
            del self._keys[bisect.bisect_left(self._keys, key)]

    def range(self, start: bytes, stop: bytes) -> Iterator[tuple[bytes, bytes]]:
        keys = self._keys
        for index in range(bisect.bisect_left(keys, start), bisect.bisect_left(keys, stop)):
            key = keys[index]
            yield key, self._values[key]

    def snapshot(self) -> dict[bytes, bytes]:
        """Every pair, in key order (for tests comparing states)."""
        return {key: self._values[key] for key in self._keys}


class WriterStorage:
    """A ContractStorage over a module `Writer` (the chain's state), under a key prefix."""

    def __init__(self, writer: Writer, prefix: bytes) -> None:
        self._writer = writer
        self._prefix = prefix

    def get(self, key: bytes) -> bytes | None:
        return self._writer.get(self._prefix + key)

    def set(self, key: bytes, value: bytes) -> None:
        self._writer.set(self._prefix + key, value)

    def delete(self, key: bytes) -> None:
        self._writer.delete(self._prefix + key)

    def range(self, start: bytes, stop: bytes) -> Iterator[tuple[bytes, bytes]]:
        prefix = self._prefix
        end = prefix + stop
        for key, value in self._writer.iterate(prefix, prefix + start):
            if key >= end:
                return
            yield key[len(prefix) :], value


class Buffer:
    """The writes of one contract during one transaction, over its storage.

    Reads see the writes; nothing reaches the storage until `flush`, which the runtime calls
    only when the whole transaction (every contract it called) succeeded.
    """

    __slots__ = ("storage", "writes")

    def __init__(self, storage: ContractStorage) -> None:
        self.storage = storage
        self.writes: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        writes = self.writes
        if key in writes:
            return writes[key]
        return self.storage.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        self.writes[key] = value

    def delete(self, key: bytes) -> None:
        self.writes[key] = None

    def range(self, start: bytes, stop: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Pairs with start <= key < stop in key order, the buffered writes included."""
        writes = self.writes
        pending = sorted((k, v) for k, v in writes.items() if start <= k < stop)
        stored = ((k, v) for k, v in self.storage.range(start, stop) if k not in writes)
        for key, value in heapq.merge(pending, stored, key=_first):
            if value is not None:
                yield key, value

    def flush(self) -> None:
        """Apply the writes to the storage, in key order."""
        storage = self.storage
        for key, value in sorted(self.writes.items()):
            if value is None:
                storage.delete(key)
            else:
                storage.set(key, value)
        self.writes = {}


def _first(pair: tuple[bytes, bytes | None]) -> bytes:
    return pair[0]
