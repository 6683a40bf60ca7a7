"""The gateway's routes, one module per resource; app.py adds them in a fixed order (the order of
the OpenAPI document's paths)."""
