"""The Python SDK: build, sign and submit transactions; read state with verified proofs."""

from cornerstone.sdk.client import Client, Committed, Signer, VerifiedValue

__all__ = ["Client", "Committed", "Signer", "VerifiedValue"]
