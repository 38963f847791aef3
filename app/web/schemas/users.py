"""A user's parameters: its details, which user, a page of users, a change."""
from marshmallow import ValidationError, post_load, validates, validates_schema

from app.domain import limits, passwords
from app.domain.commands import UserChange, UserLookup
from app.domain.limits import SendingLimits
from app.web import fields, patterns
from app.web.schemas import parameters
from app.web.schemas.base import ResellerSchema, Update, exactly_one, nothing_to_change
from app.web.schemas.customers import PageSchema
from app.web.schemas.parameters import described

LIMITS = {"throughput": "throughput", "maxBindings": "max_bindings", "dailyLimit": "daily_limit",
          "allowedSenders": "allowed_senders", "allowedPrefixes": "allowed_prefixes"}
CLEARABLE = {"virtualNumber": "virtual_number", "contactName": "contact_name", "moPush": "mo_push",
             "finalStatusPush": "final_status_push", **LIMITS}
USER_DETAILS = ("password", "email", "phoneNumber", "virtualNumber", "contactName", "moPush", "finalStatusPush",
                "swappingSourceAddressAllowed", *LIMITS, "clear")


class UserDetails(ResellerSchema):
    """A user's details, as the creates take them and user/update changes them; push configs may point at private
    addresses, and passwords be shorter than the platform's minimum, only where the platform allows it."""

    password = parameters.password()
    email = parameters.email()
    phone_number = parameters.phone_number()
    virtual_number = fields.PhoneNumber(data_key="virtualNumber", **described("the user's virtual number"))
    contact_name = fields.Text(data_key="contactName", max_length=256,
                               **described("the name of the person to contact, up to 256 characters"))
    mo_push = fields.PushConfig(data_key="moPush",
                                **described("where the platform pushes the user's mobile-originated messages"))
    final_status_push = fields.PushConfig(data_key="finalStatusPush", **described(
        "where the platform pushes the final statuses of the user's messages"))
    swapping_source_address_allowed = fields.Flag(data_key="swappingSourceAddressAllowed", **described(
        "whether the user may send with another source address"))
    throughput = fields.WholeNumber(minimum=limits.THROUGHPUT[0], maximum=limits.THROUGHPUT[1], **described(
        "sending limit: messages per second, 1 to 10,000 (none: the platform's default)"))
    max_bindings = fields.WholeNumber(minimum=limits.MAX_BINDINGS[0], maximum=limits.MAX_BINDINGS[1],
                                      data_key="maxBindings", **described(
                                          "sending limit: concurrent SMPP binds, 1 to 100 (none: the platform's default)"))
    daily_limit = fields.WholeNumber(minimum=limits.DAILY_LIMIT[0], maximum=limits.DAILY_LIMIT[1],
                                     data_key="dailyLimit", **described(
                                         "sending limit: messages per day, 1 to 100,000,000 (none: the platform's "
                                         "default)"))
    allowed_senders = fields.ListOf(limits.senders, data_key="allowedSenders", item_pattern=patterns.SENDER,
                                    most=limits.SENDERS_MAX, description="sender ids", **described(
                                        "sending limit: the sender ids the user may use, up to 50, each 1 to 16 "
                                        "characters of letters, digits, '+' and spaces (none: any)"))
    allowed_prefixes = fields.ListOf(limits.prefixes, data_key="allowedPrefixes", item_pattern=patterns.PREFIX,
                                     most=limits.PREFIXES_MAX, description="destination prefixes", **described(
                                         "sending limit: the destination prefixes the user may send to, up to 200, "
                                         "each 1 to 15 digits (none: any)"))

    @validates("password")
    def long_enough(self, value, data_key):
        weak = passwords.weakness(value, self.password_min_length, refuse_common=False)
        if weak:
            raise ValidationError(weak)

    @staticmethod
    def limits_of(data):
        """Take the sending limits given out of loaded data."""
        given = {name: data.pop(name) for name in LIMITS.values() if name in data}
        return SendingLimits(**given) if given else None


class UserListSchema(PageSchema):
    """user/list: a page of the reseller's users (across its customers, or of one of them), filtered."""

    component = "UserList"
    customer_id = fields.ObjectIdText(data_key="customerId", **described(
        "only the users of this customer of the reseller's (none: the users of all its customers)"))
    email = fields.Email(**described("only the users with this email address (compared in its normalized form)"))
    phone_number = fields.PhoneNumber(data_key="phoneNumber", **described(
        "only the users with this phone number, exactly as stored"))
    prefix = fields.NamePrefix(data_key="usernamePrefix", **described(
        "only the users whose username begins with this (as stored, in NFC: letter case counts)"))


class UserLookupSchema(ResellerSchema):
    """user/get: a user by userId or by username (exactly one)."""

    component = "UserLookup"
    one_of_required = ("userId", "username")
    user_id = parameters.user_id()
    username = parameters.username()

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def one_of_them(self, data, original_data, **kwargs):
        exactly_one(data, original_data, self.one_of_required)

    @post_load
    def make_request(self, data, **kwargs):
        return UserLookup(self.credentials(data), data.get("user_id"), data.get("username"))


class UserHoldSchema(ResellerSchema):
    """user/suspend, user/resume."""

    component = "UserHold"
    user_id = parameters.user_id(required=True)
    dry_run = parameters.dry_run_of_change()

    @post_load
    def make_request(self, data, **kwargs):
        return UserLookup(self.credentials(data), data["user_id"], dry_run=data.get("dry_run", False))


class UserUpdateSchema(Update, UserDetails):
    """user/update: a user's details and password (its username cannot change); clear removes optional ones."""

    component = "UserUpdate"
    # That no detail is both given and cleared is said in words: schemathesis cannot take it with this rule.
    any_of_required = USER_DETAILS
    unchangeable = ("name", "customer", "username", "customerId", "resellerId", "credits", "active")
    user_id = parameters.user_id(required=True)
    dry_run = parameters.dry_run_of_change()
    clear = fields.NameList(CLEARABLE, **described(
        "optional details to remove, by name, separated by commas (in JSON also a list); a detail cannot be given and "
        "cleared at once"))

    @validates_schema
    def changes_something(self, data, **kwargs):
        cleared = {CLEARABLE[name] for name in data.get("clear", ())}
        both = sorted(self.fields[name].data_key or name for name in cleared & set(data))
        if both:
            raise ValidationError({key: ["is both given and cleared"] for key in both})
        if not set(data) - {"reseller_name", "reseller_password", "user_id", "clear", "dry_run"} and not cleared:
            nothing_to_change(USER_DETAILS)

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        user_id = data.pop("user_id")
        dry_run = data.pop("dry_run", False)
        cleared = tuple(CLEARABLE[name] for name in data.pop("clear", ()))
        password = data.pop("password", None)
        limits = self.limits_of(data)
        if limits is not None:
            data["limits"] = limits.given()
        return UserChange(credentials, user_id, data, cleared, password, dry_run)
