"""Exceptions raised by the Sendblue client."""


class SendblueError(Exception):
    """Base error of the Sendblue client."""

    def __init__(
        self,
        message: str = "Unexpected error from Sendblue",
        *,
        status: int | None = None,
        error_code: str | int | None = None,
    ) -> None:
        """Keep Sendblue's message, the HTTP status and Sendblue's error code."""
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code

    def __repr__(self) -> str:
        """Show the message with the status and error code, never a request."""
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r},"
            f" error_code={self.error_code!r})"
        )


class SendblueConnectionError(SendblueError):
    """The request could not be sent or answered."""


class SendblueCannotConnectError(SendblueConnectionError):
    """No connection could be made (refused, DNS, TLS): nothing reached Sendblue."""


class SendblueTimeoutError(SendblueConnectionError):
    """Sendblue did not answer within the request timeout."""


class SendblueAuthenticationError(SendblueError):
    """The API key id or secret was rejected (401 or 403)."""


class SendblueNotFoundError(SendblueError):
    """The requested object does not exist (404)."""


class SendblueStreamNotAvailableError(SendblueNotFoundError):
    """The account or API host has no live event stream (404 or 405)."""


class SendblueRateLimitError(SendblueError):
    """Sendblue asked us to slow down (429)."""

    def __init__(
        self,
        message: str = "Too many requests to Sendblue",
        *,
        status: int | None = 429,
        error_code: str | int | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Also keep how many seconds Sendblue asked us to wait, if it said."""
        super().__init__(message, status=status, error_code=error_code)
        self.retry_after = retry_after


class SendblueValidationError(SendblueError):
    """Sendblue rejected the request's content (400, 409 or 422)."""


class SendblueServerError(SendblueError):
    """Sendblue failed to handle the request (5xx)."""


class SendblueInvalidResponseError(SendblueError):
    """Sendblue answered with something we cannot read."""


class SendblueInputError(SendblueError, ValueError):
    """An argument was rejected before anything was sent."""

    def __init__(self, message: str, *, field: str) -> None:
        """Name the offending argument."""
        super().__init__(message)
        self.field = field
