"""The endpoints' parameters: one marshmallow schema per body, its fields from app.web.fields (one field class per
kind of value) and app.web.schemas.parameters (a parameter several endpoints take, declared once)."""


class Schemas:
    """The endpoints' schemas, made once per app (on first use) with the settings their rules depend on."""

    def __init__(self, *, allow_private_push_targets=False, password_min_length=1):
        self._settings = {"allow_private_push_targets": allow_private_push_targets,
                          "password_min_length": password_min_length}
        self._made = {}

    def of(self, schema_class):
        """The schema of this class for this app."""
        made = self._made.get(schema_class)
        if made is None:
            made = self._made[schema_class] = schema_class(**self._settings)
        return made
