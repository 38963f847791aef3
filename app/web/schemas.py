"""The endpoints' parameters: names as the API spells them, rules from app.web.fields (one field per rule)."""
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, post_load, pre_load, validates, validates_schema

from app.domain import names, passwords
from app.domain.commands import (
    Credentials,
    CustomerChange,
    CustomerLookup,
    CustomerRequest,
    CustomerUserRequest,
    ListRequest,
    NewCustomer,
    NewUser,
    UserChange,
    UserLookup,
    UserRequest,
)
from app.web import fields

MO_CHARGE_MAX = 1_000_000_000
LIST_LIMIT_MAX = 100
LIST_LIMIT_DEFAULT = 50
CLEARABLE = {"virtualNumber": "virtual_number", "contactName": "contact_name", "moPush": "mo_push",
             "finalStatusPush": "final_status_push"}


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

    reseller_name = fields.Identifier(data_key="resellerName", forbidden="@", required=True)
    reseller_password = fields.Text(data_key="resellerPassword", required=True)

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


class CustomerSettings(ResellerSchema):
    """A customer's settings, as customer/create takes them and customer/update changes them."""

    integration_id = fields.Text(data_key="integrationId")
    rotation_algorithm = fields.Choice(("CONVERSATION", "MAX_ROTATION"), data_key="rotationAlgorithm")
    billing_type = fields.Choice(("PRE_PAID", "POST_PAID"), data_key="billingType")
    mo_charge = fields.WholeNumber(minimum=0, maximum=MO_CHARGE_MAX, data_key="moCharge")


class CustomerCreateSchema(ResellerSuffix, CustomerSettings):
    """customer/create."""

    component = "CustomerCreate"
    defaults_from = (NewCustomer, CustomerRequest)
    suffixed = ("name",)
    name = fields.Identifier(required=True)
    dry_run = fields.Flag(data_key="dryRun")

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        dry_run = data.pop("dry_run", False)
        return CustomerRequest(credentials, NewCustomer(**data), dry_run)


class UserDetails(ResellerSchema):
    """A user's details, as the creates take them and user/update changes them; push configs may point at private
    addresses, and passwords be shorter than the platform's minimum, only where the platform allows it."""

    password = fields.Text()
    email = fields.Email()
    phone_number = fields.PhoneNumber(data_key="phoneNumber")
    virtual_number = fields.PhoneNumber(data_key="virtualNumber")
    contact_name = fields.Text(data_key="contactName", max_length=256)
    mo_push = fields.PushConfig(data_key="moPush")
    final_status_push = fields.PushConfig(data_key="finalStatusPush")
    swapping_source_address_allowed = fields.Flag(data_key="swappingSourceAddressAllowed")

    @validates("password")
    def long_enough(self, value, data_key):
        weak = passwords.weakness(value, self.password_min_length, refuse_common=False)
        if weak:
            raise ValidationError(weak)


class UserCreateSchema(ResellerSuffix, UserDetails):
    """user/create."""

    component = "UserCreate"
    defaults_from = (NewUser, UserRequest)
    suffixed = ("username",)
    username = fields.Identifier(required=True)
    password = fields.Text(required=True)
    customer_id = fields.ObjectIdText(data_key="customerId", required=True)
    email = fields.Email(required=True)
    phone_number = fields.PhoneNumber(data_key="phoneNumber", required=True)
    dry_run = fields.Flag(data_key="dryRun")

    class Meta(ResellerSchema.Meta):
        exclude = ("contact_name",)

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        dry_run = data.pop("dry_run", False)
        return UserRequest(credentials, data.pop("customer_id"), NewUser(**data), dry_run)


class CustomerUserCreateSchema(ResellerSuffix, UserDetails):
    """customer-user/create."""

    component = "CustomerUserCreate"
    defaults_from = (NewUser, CustomerUserRequest)
    suffixed = ("customer", "username")
    customer = fields.Identifier(required=True)
    username = fields.Identifier(required=True)
    password = fields.Text(required=True)
    apply_free_credits = fields.Flag(data_key="applyFreeCredits", required=True)
    dry_run = fields.Flag(data_key="dryRun")

    class Meta(ResellerSchema.Meta):
        exclude = ("virtual_number", "mo_push", "final_status_push", "swapping_source_address_allowed")

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        customer = NewCustomer(name=data.pop("customer"))
        apply_free_credits = data.pop("apply_free_credits")
        dry_run = data.pop("dry_run", False)
        return CustomerUserRequest(credentials, customer, NewUser(**data), apply_free_credits, dry_run)


class CustomerLookupSchema(ResellerSchema):
    """customer/get, customer/suspend, customer/resume."""

    component = "CustomerLookup"
    customer_id = fields.ObjectIdText(data_key="customerId", required=True)

    @post_load
    def make_request(self, data, **kwargs):
        return CustomerLookup(self.credentials(data), data["customer_id"])


CUSTOMER_SETTINGS = ("integrationId", "rotationAlgorithm", "billingType", "moCharge")
USER_DETAILS = ("password", "email", "phoneNumber", "virtualNumber", "contactName", "moPush", "finalStatusPush",
                "swappingSourceAddressAllowed", "clear")


def nothing_to_change(names):
    """The request names what to change and changes nothing: an error of the request, not of one parameter."""
    raise ValidationError(f"nothing to change: give at least one of {', '.join(names)}")


class CustomerUpdateSchema(CustomerSettings):
    """customer/update: a customer's settings (its name cannot change)."""

    component = "CustomerUpdate"
    any_of_required = CUSTOMER_SETTINGS
    customer_id = fields.ObjectIdText(data_key="customerId", required=True)

    @validates_schema
    def changes_something(self, data, **kwargs):
        if not set(data) - {"reseller_name", "reseller_password", "customer_id"}:
            nothing_to_change(CUSTOMER_SETTINGS)

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        return CustomerChange(credentials, data.pop("customer_id"), data)


class ListSchema(ResellerSchema):
    """customer/list: a page in creation order."""

    component = "CustomerList"
    limit = fields.WholeNumber(minimum=1, maximum=LIST_LIMIT_MAX, load_default=LIST_LIMIT_DEFAULT)
    after = fields.ObjectIdText()

    @post_load
    def make_request(self, data, **kwargs):
        return ListRequest(self.credentials(data), data["limit"], data.get("after"), data.get("customer_id"))


class UserListSchema(ListSchema):
    """user/list: a page of the reseller's users, or of one of its customers' users."""

    component = "UserList"
    customer_id = fields.ObjectIdText(data_key="customerId")


class UserLookupSchema(ResellerSchema):
    """user/get: a user by userId or by username (exactly one)."""

    component = "UserLookup"
    one_of_required = ("userId", "username")
    user_id = fields.ObjectIdText(data_key="userId")
    username = fields.Identifier()

    @validates_schema
    def exactly_one(self, data, **kwargs):
        given = [name for name in ("user_id", "username") if name in data]
        if len(given) != 1:
            message = "give userId or username, not both" if given else "is required (or username)"
            raise ValidationError({"userId": [message]})

    @post_load
    def make_request(self, data, **kwargs):
        return UserLookup(self.credentials(data), data.get("user_id"), data.get("username"))


class UserIdSchema(ResellerSchema):
    """user/suspend, user/resume."""

    component = "UserId"
    user_id = fields.ObjectIdText(data_key="userId", required=True)

    @post_load
    def make_request(self, data, **kwargs):
        return UserLookup(self.credentials(data), data["user_id"])


class UserUpdateSchema(UserDetails):
    """user/update: a user's details and password (its username cannot change); clear removes optional ones."""

    component = "UserUpdate"
    # That no detail is both given and cleared is said in words: schemathesis cannot take it with this rule.
    any_of_required = USER_DETAILS
    user_id = fields.ObjectIdText(data_key="userId", required=True)
    clear = fields.NameList(CLEARABLE)

    @validates_schema
    def changes_something(self, data, **kwargs):
        cleared = {CLEARABLE[name] for name in data.get("clear", ())}
        both = sorted(str(self.fields[name].data_key) for name in cleared & set(data))
        if both:
            raise ValidationError({key: ["is both given and cleared"] for key in both})
        if not set(data) - {"reseller_name", "reseller_password", "user_id", "clear"} and not cleared:
            nothing_to_change(USER_DETAILS)

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        user_id = data.pop("user_id")
        cleared = tuple(CLEARABLE[name] for name in data.pop("clear", ()))
        password = data.pop("password", None)
        return UserChange(credentials, user_id, data, cleared, password)


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
