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
        ├── EncryptionKeyFileError     10  an encryption key file cannot be used
        └── StoreError (above)             the S3 store's failures, each its own code:
            ├── S3LocationError        11  not an s3://BUCKET[/PREFIX] location
            ├── S3EndpointError        12  the endpoint setting is not an http(s) URL
            ├── S3UnreachableError     13  nothing answers at the endpoint
            ├── S3CredentialsError     14  the credentials file cannot be used
            ├── S3AuthenticationError  15  the store does not accept the credentials
            ├── S3AccessDeniedError    16  the credentials may not do that
            ├── S3BucketNotFoundError  17  no such bucket at the endpoint
            └── S3RequestError         18  any other refusal by the store

An object missing from an S3 bucket is BlobNotFoundError (2), like a missing file or URL.
No S3 error carries an access key, a secret or a session token: only the endpoint, bucket,
object name and the store's error code.
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


# ---------------------------------------------------------------------------- S3 store
class S3LocationError(StoreError):
    code = 11
    template = "{location} is not an S3 location: {reason} (give s3://BUCKET[/PREFIX])"


class S3EndpointError(StoreError):
    code = 12
    template = (
        "the S3 endpoint {endpoint!r} is not usable: {reason} (give an http:// or https:// URL "
        "with a host and no path, with --s3-endpoint or $AWS_ENDPOINT_URL_S3)"
    )


class S3UnreachableError(StoreError):
    code = 13
    template = (
        "the S3 endpoint {endpoint} cannot be reached ({reason}): check the endpoint "
        "(--s3-endpoint or $AWS_ENDPOINT_URL_S3) and that the store is running"
    )


class S3CredentialsError(StoreError):
    code = 14
    template = "cannot use S3 credentials from {source}: {reason}"


class S3AuthenticationError(StoreError):
    code = 15
    template = (
        "the S3 store at {endpoint} does not accept the credentials ({error}): check "
        "$AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY, or the credentials file "
        "(--s3-credentials-file, $AWS_SHARED_CREDENTIALS_FILE) and its profile"
    )


class S3AccessDeniedError(StoreError):
    code = 16
    template = (
        "the S3 store at {endpoint} denied {operation} {target} ({error}): the credentials "
        "have no permission for it there, or none were found"
    )


class S3BucketNotFoundError(StoreError):
    code = 17
    template = (
        "there is no bucket {bucket} at the S3 endpoint {endpoint}: check the bucket name and "
        "the endpoint, or create the bucket"
    )


class S3RequestError(StoreError):
    code = 18
    template = "the S3 store at {endpoint} refused {operation} {target}: {reason}"
