"""The export bucket in S3: one thin client, boto's errors translated at its boundary.

A refusal retrying cannot fix (no such bucket, access denied) is a PermanentError with code
`export_failed`; throttling, 5xx and connection failures are RetryableErrors, which the job
runner waits out like any other outage.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from cl3_common.errors import PermanentError, RetryableError

# S3 error codes retrying cannot fix.
_PERMANENT_CODES = {"NoSuchBucket", "AccessDenied", "InvalidBucketName", "AllAccessDisabled"}
_RETRYABLE_CODES = {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout"}


class ExportBucket:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.name = bucket

    def upload(self, body: IO[bytes], key: str, *, content_type: str,
               metadata: dict[str, str]) -> None:  # fmt: skip
        """Uploads (multipart when large) with a download file name from the key."""
        extra = {
            "ContentType": content_type,
            "ContentDisposition": f'attachment; filename="{key.rsplit("/", 1)[-1]}"',
            "Metadata": metadata,
        }
        with self._translated():
            self._s3.upload_fileobj(body, self.name, key, ExtraArgs=extra)

    def presigned_url(self, key: str, ttl_s: int) -> str:
        with self._translated():
            return str(self._s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.name, "Key": key}, ExpiresIn=ttl_s
            ))  # fmt: skip

    @contextmanager
    def _translated(self) -> Iterator[None]:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (ClientError, S3UploadFailedError) as e:
            code = _error_code(e)
            if code in _RETRYABLE_CODES:
                raise RetryableError(f"s3 {code} for {self.name}", system="s3") from e
            reason = code if code in _PERMANENT_CODES else str(e)
            raise PermanentError(f"s3 refused the export to {self.name}: {reason}",
                                 system="s3", code="export_failed") from e  # fmt: skip
        except BotoCoreError as e:  # endpoint unreachable, timeouts, credentials
            raise RetryableError(f"s3 is unreachable: {e}", system="s3") from e


def _error_code(e: Exception) -> str:
    response = getattr(e, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or "")
    # upload_fileobj wraps the ClientError's text in S3UploadFailedError.
    text = str(e)
    return next((c for c in (*_PERMANENT_CODES, *_RETRYABLE_CODES) if c in text), "")
