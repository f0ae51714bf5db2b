"""The bundled demo target: a small HTTP/HTTPS service shaped like the systems in the runbooks.

`DemoProcess` runs it in a subprocess for `pytest --profile local` and the project's own tests;
`python -m opsgate.demo` runs it by hand. `DemoConfig(broken=True)` makes it fail every check.
"""

from opsgate.demo.app import DemoConfig, DemoError
from opsgate.demo.process import DemoProcess

__all__ = ["DemoConfig", "DemoError", "DemoProcess"]
