"""The project's exceptions: each one carries a message a user can act on."""


class DiplosimError(Exception):
    """Base of every error the command line reports as one line and exit code 2."""


class EventError(DiplosimError, ValueError):
    """An event was built with a value its type does not accept."""


class CodecError(DiplosimError):
    """A stored or written record cannot be turned into an event (unknown type, bad field)."""


class StoreError(DiplosimError):
    """A store cannot be opened or refuses an operation."""


class ConcurrencyError(StoreError):
    """An append named an `expected_version` that is not the stream's current version."""


class ScenarioError(DiplosimError):
    """A scenario file is malformed; the message names the file and the place."""


class TransientStoreError(StoreError):
    """A store operation failed for a reason that may pass (a connection lost, a lock held
    too long, a database busy): the same operation may succeed if retried."""
