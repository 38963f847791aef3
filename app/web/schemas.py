"""The endpoints' parameters: names as the API spells them, rules from app.web.fields."""
from marshmallow import EXCLUDE, Schema, post_load, pre_load

from app.domain.model import Credentials, CustomerRequest, CustomerUserRequest, NewCustomer, NewUser, UserRequest
from app.web import fields

MO_CHARGE_MAX = 1_000_000_000


class ResellerSchema(Schema):
    """The credentials every endpoint takes."""

    class Meta:
        unknown = EXCLUDE

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


class CustomerCreateSchema(ResellerSchema):
    """customer/create."""

    name = fields.Identifier(required=True)
    integration_id = fields.Text(data_key="integrationId")
    rotation_algorithm = fields.Choice(("CONVERSATION", "MAX_ROTATION"), data_key="rotationAlgorithm")
    billing_type = fields.Choice(("PRE_PAID", "POST_PAID"), data_key="billingType")
    mo_charge = fields.WholeNumber(minimum=0, maximum=MO_CHARGE_MAX, data_key="moCharge")

    dry_run = fields.Flag(data_key="dryRun")

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        dry_run = data.pop("dry_run", False)
        return CustomerRequest(credentials, NewCustomer(**data), dry_run)


class UserFields(ResellerSchema):
    """What user/create and customer-user/create share about the user."""

    username = fields.Identifier(required=True)
    password = fields.Text(required=True)


class UserCreateSchema(UserFields):
    """user/create; its push configs may point at private addresses only when allowed."""

    def __init__(self, *, allow_private_push_targets=False, **kwargs):
        super().__init__(**kwargs)
        self.allow_private_push_targets = allow_private_push_targets

    customer_id = fields.ObjectIdText(data_key="customerId", required=True)
    email = fields.Email(required=True)
    phone_number = fields.PhoneNumber(data_key="phoneNumber", required=True)
    virtual_number = fields.PhoneNumber(data_key="virtualNumber")
    mo_push = fields.PushConfig(data_key="moPush")
    final_status_push = fields.PushConfig(data_key="finalStatusPush")
    swapping_source_address_allowed = fields.Flag(data_key="swappingSourceAddressAllowed")
    dry_run = fields.Flag(data_key="dryRun")

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        dry_run = data.pop("dry_run", False)
        return UserRequest(credentials, data.pop("customer_id"), NewUser(**data), dry_run)


class CustomerUserCreateSchema(UserFields):
    """customer-user/create."""

    customer = fields.Identifier(required=True)
    contact_name = fields.Text(data_key="contactName", max_length=256)
    email = fields.Email()
    phone_number = fields.PhoneNumber(data_key="phoneNumber")
    apply_free_credits = fields.Flag(data_key="applyFreeCredits", required=True)
    dry_run = fields.Flag(data_key="dryRun")

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        customer = NewCustomer(name=data.pop("customer"))
        apply_free_credits = data.pop("apply_free_credits")
        dry_run = data.pop("dry_run", False)
        return CustomerUserRequest(credentials, customer, NewUser(**data), apply_free_credits, dry_run)


class Schemas:
    """The endpoints' schemas, built once per app with the settings their rules depend on."""

    def __init__(self, *, allow_private_push_targets=False):
        self.customer_create = CustomerCreateSchema()
        self.user_create = UserCreateSchema(allow_private_push_targets=allow_private_push_targets)
        self.customer_user_create = CustomerUserCreateSchema()
