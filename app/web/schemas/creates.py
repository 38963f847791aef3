"""The creates' parameters: a customer, a user of a customer, a customer with its first user."""
from marshmallow import post_load

from app.domain.commands import CustomerRequest, CustomerUserRequest, NewCustomer, NewUser, UserRequest
from app.web import fields
from app.web.schemas import parameters
from app.web.schemas.base import ResellerSchema, ResellerSuffix
from app.web.schemas.customers import CustomerSettings
from app.web.schemas.parameters import described
from app.web.schemas.users import UserDetails


class CustomerCreateSchema(ResellerSuffix, CustomerSettings):
    """customer/create."""

    component = "CustomerCreate"
    defaults_from = (NewCustomer, CustomerRequest)
    suffixed = {"name": "customer.name"}  # noqa: RUF012
    name = fields.Identifier(required=True, **described(
        "the customer's name, unique across all resellers; one that contains '@' must end with '@' and the reseller's "
        "name (customer@reseller)"))
    dry_run = parameters.dry_run()

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        dry_run = data.pop("dry_run", False)
        return CustomerRequest(credentials, NewCustomer(**data), dry_run)


class UserCreateSchema(ResellerSuffix, UserDetails):
    """user/create."""

    component = "UserCreate"
    defaults_from = (NewUser, UserRequest)
    suffixed = {"username": "user.username"}  # noqa: RUF012
    username = parameters.username(required=True)
    password = parameters.password(required=True)
    customer_id = parameters.customer_id(required=True)
    email = parameters.email(required=True)
    phone_number = parameters.phone_number(required=True)
    dry_run = parameters.dry_run()

    class Meta(ResellerSchema.Meta):
        exclude = ("contact_name",)

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        dry_run = data.pop("dry_run", False)
        limits = self.limits_of(data)
        return UserRequest(credentials, data.pop("customer_id"), NewUser(**data, limits=limits), dry_run)


class CustomerUserCreateSchema(ResellerSuffix, UserDetails):
    """customer-user/create."""

    component = "CustomerUserCreate"
    defaults_from = (NewUser, CustomerUserRequest)
    suffixed = {"customer": "customer.name", "username": "user.username"}  # noqa: RUF012
    customer = fields.Identifier(required=True, **described(
        "the new customer's name, as name in customer/create; phone apps send customer@reseller"))
    username = parameters.username(required=True)
    password = parameters.password(required=True)
    apply_free_credits = fields.Flag(data_key="applyFreeCredits", required=True, **described(
        "true: credit the new customer with the reseller's free credits"))
    dry_run = parameters.dry_run()

    class Meta(ResellerSchema.Meta):
        exclude = ("virtual_number", "mo_push", "final_status_push", "swapping_source_address_allowed")

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        customer = NewCustomer(name=data.pop("customer"))
        apply_free_credits = data.pop("apply_free_credits")
        dry_run = data.pop("dry_run", False)
        limits = self.limits_of(data)
        return CustomerUserRequest(credentials, customer, NewUser(**data, limits=limits), apply_free_credits, dry_run)
