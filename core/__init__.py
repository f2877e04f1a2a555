"""Core of pdex: domain rules and shared building blocks the API layer is built on."""
