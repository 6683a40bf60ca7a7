"""The native modules of a Cornerstone chain, in the order their genesis is applied."""

from cornerstone.module import Module
from cornerstone.modules.contracts import MODULE as CONTRACTS
from cornerstone.modules.datashare import MODULE as DATASHARE
from cornerstone.modules.did import MODULE as DID
from cornerstone.modules.governance import MODULE as GOVERNANCE
from cornerstone.modules.membership import MODULE as MEMBERSHIP
from cornerstone.modules.notary import MODULE as NOTARY

MODULES: tuple[Module, ...] = (MEMBERSHIP, GOVERNANCE, NOTARY, CONTRACTS, DATASHARE, DID)
BY_NAME: dict[str, Module] = {m.name: m for m in MODULES}

__all__ = ["BY_NAME", "MODULES"]
