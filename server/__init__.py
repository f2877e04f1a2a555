"""The ASGI app, its HTTP endpoints and the `pdex` command line."""
