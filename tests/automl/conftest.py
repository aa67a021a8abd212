"""Same tiny panel as the model tests."""

from tests.models.conftest import ctx, make_panel, panel

__all__ = ["ctx", "make_panel", "panel"]
