class DomainError(Exception):
    """A refused action: `code` is stable for API clients, `message` is what a person reads (Chinese)."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


class NotFound(DomainError):
    """Outside the actor's scope or absent: the two look the same from outside (404, never another's data)."""

    code = "not_found"
    status = 404
