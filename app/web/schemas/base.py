"""What every body has: the reseller's credentials, empty values as not given; and what some share: names that end
with the reseller's, and a change that must change something."""
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, pre_load, validates_schema

from app.domain import names
from app.domain.commands import Credentials
from app.web import fields
from app.web.schemas.parameters import described


class ResellerSchema(Schema):
    """The credentials every endpoint takes; the settings the rules of some parameters depend on; and, for the OpenAPI
    document, the body's component name, the rules that span its parameters, and where its defaults come from."""

    class Meta:
        unknown = EXCLUDE

    component = "Credentials"
    # Exactly one of these parameters, or at least one of those, must be given.
    one_of_required: tuple[str, ...] = ()
    any_of_required: tuple[str, ...] = ()
    # The commands whose dataclass defaults are the defaults of parameters not given.
    defaults_from: tuple[type, ...] = ()

    def __init__(self, *, allow_private_push_targets=False, password_min_length=1, **kwargs):
        super().__init__(**kwargs)
        self.allow_private_push_targets = allow_private_push_targets
        self.password_min_length = password_min_length

    reseller_name = fields.Identifier(data_key="resellerName", forbidden="@", required=True,
                                      **described("the calling reseller's name (no '@')"))
    reseller_password = fields.Text(data_key="resellerPassword", required=True,
                                    **described("the calling reseller's password"))

    @pre_load
    def leave_out_empty(self, data, **kwargs):
        """An empty or null value means the parameter was not given."""
        return {key: value for key, value in data.items() if value not in ("", None)}

    @staticmethod
    def credentials(data):
        """Take the credentials out of loaded data."""
        return Credentials(data.pop("reseller_name"), data.pop("reseller_password"))


class ResellerSuffix:
    """Names of customers and users that contain "@" (in any spelling: "＠" is one) end with "@" and the reseller's name
    (the phone apps' customer@reseller), so that no reseller can take a name of that form for another reseller's
    customers."""

    suffixed: tuple[str, ...] = ()
    fields: dict[str, Any]

    @validates_schema
    def end_with_the_resellers_name(self, data, **kwargs):
        reseller = data.get("reseller_name")
        if reseller is None:
            return
        suffix = "@" + names.lookalike_key(reseller)
        keys = {field: names.lookalike_key(data[field]) for field in self.suffixed if field in data}
        wrong = [self.fields[field].data_key or field for field, key in keys.items() if "@" in key and not key.endswith(suffix)]
        if wrong:
            message = f'must end with "@{reseller}", the reseller\'s name, when it contains "@"'
            raise ValidationError({field: [message] for field in wrong})


def nothing_to_change(parameters):
    """The request names what to change and changes nothing: an error of the request, not of one parameter."""
    raise ValidationError(f"nothing to change: give at least one of {', '.join(parameters)}")
