"""Errors that reach users: each says what is wrong and what to do about it.

Every error kefu raises on purpose derives from :class:`KefuError`; the CLI prints
``message`` and ``hint`` without a traceback, the server maps ``status``/``type``/``code``
onto OpenAI's error shape ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations


class KefuError(Exception):
    """Base class. ``hint`` tells the user what to do next."""

    status: int = 500
    type: str = "server_error"
    code: str | None = None

    def __init__(self, message: str, *, hint: str | None = None, param: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.param = param
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(KefuError):
    """A setting, a config file or a command-line option is wrong."""

    status = 400
    type = "invalid_request_error"
    code = "invalid_config"


class InvalidRequestError(KefuError):
    """A request (HTTP or Python call) is malformed or out of range."""

    status = 400
    type = "invalid_request_error"


class ModelNotFoundError(KefuError):
    """A model reference names nothing kefu can load, or a server does not serve it."""

    status = 404
    type = "invalid_request_error"
    code = "model_not_found"


class ContextOverflowError(InvalidRequestError):
    """A prompt (or a single message of it) does not fit the model's context window."""

    code = "context_length_exceeded"


class BackendError(KefuError):
    """A generation backend failed (remote server down, native library error, ...)."""

    status = 502
    type = "server_error"
    code = "backend_error"


class OverloadedError(KefuError):
    """The request queue is full; retry later."""

    status = 429
    type = "rate_limit_error"
    code = "queue_full"


class AuthError(KefuError):
    """Missing or wrong API key / credentials."""

    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class DataError(KefuError):
    """A data file is malformed; the message names the file, the line and the problem."""

    status = 400
    type = "invalid_request_error"
    code = "invalid_data"
