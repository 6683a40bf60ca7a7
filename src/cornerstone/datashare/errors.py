"""Errors of the client-side data plane: codespace "data", codes 1-19. Each names the step of
`fetch` (or the store operation) that failed and why, and never carries plaintext or a key.

    UserError
    └── DataPlaneError
        ├── StoreError                  1  the object store could not be used
        ├── BlobNotFoundError           2  step 1: no ciphertext at the location
        ├── CipherHashMismatchError     3  step 2: the ciphertext is not the one published
        ├── NoKeyReleasedError          4  step 3: no key was released to this recipient
        ├── KeyMismatchError            5  step 4: the key was sealed to another encryption key
        ├── UnwrapError                 6  step 4: the sealed key does not open
        ├── DecryptionError             7  step 5: the ciphertext does not authenticate
        ├── ContentHashMismatchError    8  step 6: the plaintext is not the one published
        ├── UnknownVersionError         9  the dataset or version is not on chain
        └── EncryptionKeyFileError     10  an encryption key file cannot be used
"""

from cornerstone.errors import UserError


class DataPlaneError(UserError):
    codespace = "data"


class StoreError(DataPlaneError):
    code = 1
    template = "the object store {store} failed: {reason}"


class BlobNotFoundError(DataPlaneError):
    code = 2
    template = "step 1 (download) failed: there is no ciphertext {cipher_hash} at {location}"


class CipherHashMismatchError(DataPlaneError):
    code = 3
    template = (
        "step 2 (ciphertext hash) failed: the downloaded ciphertext hashes to {got}, but the "
        "chain records {expected}: it was altered or corrupted in storage; nothing was decrypted"
    )


class NoKeyReleasedError(DataPlaneError):
    code = 4
    template = (
        "step 3 (key release) failed: no key of dataset {dataset} version {version} was "
        "released to {recipient}: {hint}"
    )


class KeyMismatchError(DataPlaneError):
    code = 5
    template = (
        "step 4 (unwrap key) failed: the data key was sealed to the encryption key {sealed_to}, "
        "but the key file holds {mine}: use the key file you registered then"
    )


class UnwrapError(DataPlaneError):
    code = 6
    template = (
        "step 4 (unwrap key) failed: the sealed data key does not open with the encryption key "
        "{mine}: it was sealed to another key or altered"
    )


class DecryptionError(DataPlaneError):
    code = 7
    template = (
        "step 5 (decrypt) failed: the ciphertext does not authenticate as dataset {dataset} "
        "version {version} under the released key: {reason}"
    )


class ContentHashMismatchError(DataPlaneError):
    code = 8
    template = (
        "step 6 (content hash) failed: the plaintext hashes to {got}, but the chain records "
        "{expected}: the owner published a hash of other content; the output was not written"
    )


class UnknownVersionError(DataPlaneError):
    code = 9
    template = "dataset {dataset} has no version {version} on chain"


class EncryptionKeyFileError(DataPlaneError):
    code = 10
    template = "cannot use the encryption key file {path}: {reason}"
