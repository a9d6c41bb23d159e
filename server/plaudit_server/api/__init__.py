"""HTTP API blueprints: ``public`` for the widget, ``admin`` for secret-key clients."""
