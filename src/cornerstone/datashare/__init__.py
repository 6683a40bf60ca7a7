"""The client-side data plane of data sharing: encryption and key wrapping (`envelope`), the
off-chain object stores (`store`) and the SDK (`client`). Nothing here runs in a node's block
execution; the on-chain half is `cornerstone.modules.datashare`."""

from cornerstone.datashare.client import (
    AuditEntry,
    DataShare,
    Delivery,
    Published,
    audit,
    audit_csv,
)
from cornerstone.datashare.envelope import (
    DataKey,
    EncryptionKey,
    Sealed,
    decrypt,
    encrypt,
    load_encryption_key,
    save_encryption_key,
)
from cornerstone.datashare.store import BlobStore, HttpBlobStore, LocalBlobStore, StoreServer

__all__ = [
    "AuditEntry",
    "BlobStore",
    "DataKey",
    "DataShare",
    "Delivery",
    "EncryptionKey",
    "HttpBlobStore",
    "LocalBlobStore",
    "Published",
    "Sealed",
    "StoreServer",
    "audit",
    "audit_csv",
    "decrypt",
    "encrypt",
    "load_encryption_key",
    "save_encryption_key",
]
