"""The browser app and JSON API over the registry (``secretome serve``): see :mod:`secretome.webapp.app`."""
