"""What every body has: the reseller's credentials (or an API key in the Authorization header instead), empty values
as not given; and what some share: names that end with the reseller's, and a change that must change something."""
from contextvars import ContextVar
from operator import attrgetter
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, pre_load, validates_schema

from app.domain import names
from app.domain.commands import Credentials, KeyCredentials
from app.web import fields
from app.web.schemas.parameters import described

AUTHORIZATION = "Authorization"
BEARER = "Bearer "
# The request's Authorization header (None without one), set by the endpoint while its body is loaded.
AUTHORIZATION_GIVEN: ContextVar[str | None] = ContextVar("authorization", default=None)
CREDENTIALS = {"reseller_name": "resellerName", "reseller_password": "resellerPassword"}


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

    # Whether an API key may stand in for the credentials (not to manage API keys).
    keys_allowed = True

    def __init__(self, *, allow_private_push_targets=False, password_min_length=1, **kwargs):
        super().__init__(**kwargs)
        self.allow_private_push_targets = allow_private_push_targets
        self.password_min_length = password_min_length

    reseller_name = fields.Identifier(data_key="resellerName", forbidden="@", **described(
        "the calling reseller's name (no '@'); required unless an API key is given as Authorization: Bearer"))
    reseller_password = fields.Text(data_key="resellerPassword", **described(
        "the calling reseller's password; required unless an API key is given as Authorization: Bearer"))

    @pre_load
    def leave_out_empty(self, data, **kwargs):
        """An empty or null value means the parameter was not given."""
        return {key: value for key, value in data.items() if value not in ("", None)}

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def credentials_or_a_key(self, data, original_data, **kwargs):
        """The reseller's name and password, or an API key in the Authorization header: one of the two."""
        authorization = AUTHORIZATION_GIVEN.get()
        given = [key for key in CREDENTIALS.values() if original_data.get(key) not in (None, "")]
        if authorization is None:
            missing = [key for key in CREDENTIALS.values() if key not in given]
            if missing:
                raise ValidationError({key: ["is required"] for key in missing})
        elif not self.keys_allowed:
            raise ValidationError({AUTHORIZATION: ["an API key cannot manage API keys: give resellerName and "
                                                   "resellerPassword instead"]})
        elif given:
            raise ValidationError({AUTHORIZATION: ["give an API key or resellerName and resellerPassword, not both"]})
        elif not authorization.startswith(BEARER) or not authorization.removeprefix(BEARER).strip():
            raise ValidationError({AUTHORIZATION: ["must be Bearer and an API key"]})

    @staticmethod
    def credentials(data):
        """Take the credentials out of loaded data: the name and password, or the API key the header gave."""
        authorization = AUTHORIZATION_GIVEN.get()
        if authorization is not None:
            return KeyCredentials(authorization.removeprefix(BEARER).strip())
        return Credentials(data.pop("reseller_name"), data.pop("reseller_password"))


class ResellerSuffix:
    """Names of customers and users that contain "@" (in any spelling: "＠" is one) end with "@" and the reseller's name
    (the phone apps' customer@reseller), so that no reseller can take a name of that form for another reseller's
    customers. With an API key, the reseller is known once the key is: the endpoint checks then (suffix_errors)."""

    # The suffixed parameters: by field name, where the command holds each value.
    suffixed: dict[str, str] = {}  # noqa: RUF012  (read, never changed)
    fields: dict[str, Any]

    @validates_schema
    def end_with_the_resellers_name(self, data, **kwargs):
        reseller = data.get("reseller_name")
        if reseller is None:
            return
        errors = suffix_errors({self.fields[field].data_key or field: data[field] for field in self.suffixed
                                if field in data}, reseller)
        if errors:
            raise ValidationError(errors)

    def suffix_errors_of(self, checked, reseller):
        """The suffix errors of an already checked command, for a reseller known only now (API keys)."""
        return suffix_errors({self.fields[field].data_key or field: attrgetter(path)(checked)
                              for field, path in self.suffixed.items()}, reseller)


def suffix_errors(values, reseller):
    """The parameters whose name has an '@' and does not end with '@' and the reseller's name, with the message."""
    problems = {key: names.suffix_problem(value, reseller) for key, value in values.items()}
    return {key: [problem] for key, problem in problems.items() if problem}


# What an update says of a parameter that names a field it cannot change (other parts of the platform key on names;
# credits and suspensions have endpoints of their own).
CANNOT_CHANGE = {
    "name": "cannot be changed: other parts of the platform key on names",
    "customer": "cannot be changed: other parts of the platform key on names",
    "username": "cannot be changed: other parts of the platform key on usernames",
    "resellerId": "cannot be changed: a customer stays with its reseller",
    "credits": "cannot be changed here: customer/credit changes credits, with a ledger entry",
    "active": "cannot be changed here: suspend and resume change it",
    "customerId": "cannot be changed: a user stays with its customer",
}


class Update(ResellerSchema):
    """An update: a parameter naming a field that cannot change (unchangeable) is status 1 on it, never ignored;
    other unknown parameters stay ignored (the answer names them)."""

    unchangeable: tuple[str, ...] = ()

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def refuse_unchangeable(self, data, original_data, **kwargs):
        given = [key for key in self.unchangeable if original_data.get(key) not in (None, "")]
        if given:
            raise ValidationError({key: [CANNOT_CHANGE[key]] for key in given})


def exactly_one(data, original_data, names):
    """Refuse a body that gives none or more than one of names (API names): the error is on the first name."""
    given = [name for name in names if original_data.get(name) not in (None, "")]
    if len(given) != 1:
        first, *others = names
        message = f"give {' or '.join(names)}, not both" if given else f"is required (or {', '.join(others)})"
        raise ValidationError({first: [message]})


def nothing_to_change(parameters):
    """The request names what to change and changes nothing: an error of the request, not of one parameter."""
    raise ValidationError(f"nothing to change: give at least one of {', '.join(parameters)}")
