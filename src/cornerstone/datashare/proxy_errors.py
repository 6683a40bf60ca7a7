"""Errors of delivery by the nodes' proxies on the client side: codespace "data", codes 20-29
(the data plane's tree, `cornerstone.datashare.errors`, continued). None carries a key.

    DataPlaneError
    ├── NotEnoughFragmentsError     20 step 3: fewer capsule fragments on chain than needed
    ├── InvalidFragmentError        21 step 4: a proven fragment does not verify
    ├── UmbralKeyMismatchError      22 step 4: the fragments are for another receiving key
    ├── ReencryptedOpenError        23 step 4: the fragments do not open the key ciphertext
    ├── UmbralKeyFileError          24 an Umbral or proxy key file cannot be used
    ├── NoProxiesError              25 no registered proxy (or receiver) to delegate to
    └── ProxyNotRegisteredError     26 a proxy that runs before its node registered it
"""

from __future__ import annotations

from cornerstone.datashare.errors import DataPlaneError


class NotEnoughFragmentsError(DataPlaneError):
    code = 20
    template = (
        "step 3 (key delivery) failed: {have} capsule fragment(s) of dataset {dataset} version "
        "{version} are on chain for {recipient}, and {need} are needed: the proxies of the "
        "nodes have not all answered yet, try again shortly"
    )


class InvalidFragmentError(DataPlaneError):
    code = 21
    template = (
        "step 4 (re-encrypted key) failed: the capsule fragment of {org} does not verify "
        "against the version's capsule and the delegation's keys"
    )


class UmbralKeyMismatchError(DataPlaneError):
    code = 22
    template = (
        "step 4 (re-encrypted key) failed: the fragments were made for the receiving key "
        "{delegated_to}, but the Umbral key file holds {mine}: use the key file you registered"
    )


class ReencryptedOpenError(DataPlaneError):
    code = 23
    template = (
        "step 4 (re-encrypted key) failed: the capsule fragments do not open the version's key "
        "ciphertext with the receiving key {mine}: {reason}"
    )


class UmbralKeyFileError(DataPlaneError):
    code = 24
    template = "cannot use the key file {path}: {reason}"


class NoProxiesError(DataPlaneError):
    code = 25
    template = "cannot delegate grant {grant} of dataset {dataset}: {reason}"


class ProxyNotRegisteredError(DataPlaneError):
    code = 26
    template = (
        "{identity} is not a registered re-encryption proxy: register it first "
        "(`cornerstone data proxy register`)"
    )
