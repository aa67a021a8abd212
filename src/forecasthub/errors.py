"""Errors as a small hierarchy with messages written for users.

Every error carries the AWS exception name boto3 maps it to and an HTTP status,
so the CLI, the REST API and the AWS-compatible API report the same thing.
"""

from __future__ import annotations


class ForecastHubError(Exception):
    """Base of every error forecasthub reports to a user."""

    aws_type = "InvalidInputException"
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInputError(ForecastHubError):
    """A parameter is missing, malformed or out of range."""


class DataError(InvalidInputError):
    """Input data is malformed; names the file, the 1-based row and the column where known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file, self.row, self.column = file, row, column
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        text = f"{', '.join(where)}: {message}" if where else message
        super().__init__(text)
        self.detail = message


class NotFoundError(ForecastHubError):
    aws_type = "ResourceNotFoundException"
    http_status = 404


class AlreadyExistsError(ForecastHubError):
    aws_type = "ResourceAlreadyExistsException"
    http_status = 409


class ResourceInUseError(ForecastHubError):
    aws_type = "ResourceInUseException"
    http_status = 409


class LimitExceededError(ForecastHubError):
    aws_type = "LimitExceededException"
    http_status = 400


class InvalidNextTokenError(ForecastHubError):
    aws_type = "InvalidNextTokenException"
    http_status = 400


class ModelError(ForecastHubError):
    """A model could not be trained or could not forecast."""

    http_status = 500


class StorageError(ForecastHubError):
    """The object store or the metadata store failed."""

    http_status = 500
