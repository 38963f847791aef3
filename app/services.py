"""The service layer: what each endpoint and reseller command does, given its checked input and collaborators."""
from app.exceptions import AuthenticationFailed, CustomerNotFound


def authenticate(credentials, *, repository, hasher):
    """Return the active reseller these credentials prove, or raise AuthenticationFailed."""
    reseller = repository.find_reseller(credentials.reseller_name)
    stored_hash = reseller["passwordHash"] if reseller else None
    password_matches = hasher.verify(stored_hash, credentials.password)
    if not (password_matches and reseller["active"]):
        raise AuthenticationFailed()
    return reseller


def create_customer(request, origin, *, repository, hasher, clock):
    """Create the customer for the authenticated reseller and return its id."""
    reseller = authenticate(request.credentials, repository=repository, hasher=hasher)
    return repository.insert_customer(request.customer, reseller=reseller, origin=origin, created_at=clock())


def create_user(request, origin, *, repository, hasher, clock):
    """Create a user of one of the authenticated reseller's customers and return its id."""
    reseller = authenticate(request.credentials, repository=repository, hasher=hasher)
    if not repository.customer_belongs_to(request.customer_id, reseller["_id"]):
        raise CustomerNotFound()
    return repository.insert_user(
        request.user,
        hasher.hash(request.user.password),
        customer_id=request.customer_id,
        reseller=reseller,
        origin=origin,
        created_at=clock(),
    )


def create_customer_with_user(request, origin, *, repository, hasher, clock):
    """Create a customer and its first user together; return (customer id, user id)."""
    reseller = authenticate(request.credentials, repository=repository, hasher=hasher)
    return repository.insert_customer_with_user(
        request.customer,
        request.user,
        hasher.hash(request.user.password),
        reseller=reseller,
        free_credits=reseller["freeCredits"] if request.apply_free_credits else None,
        origin=origin,
        created_at=clock(),
    )


def create_reseller(name, password, origin, *, free_credits, repository, hasher, clock):
    """Create an active reseller; raises ResellerExists when the name is taken."""
    repository.insert_reseller(
        name, hasher.hash(password), free_credits=free_credits, origin=origin, created_at=clock()
    )


def change_reseller_password(name, password, origin, *, repository, hasher, clock):
    """Replace a reseller's password; raises ResellerNotFound when there is none of that name."""
    repository.update_reseller(
        name, {"passwordHash": hasher.hash(password)}, action="reseller.set-password", origin=origin,
        updated_at=clock(),
    )


def set_reseller_active(name, active, origin, *, repository, clock):
    """Enable or disable a reseller; raises ResellerNotFound when there is none of that name."""
    action = "reseller.enable" if active else "reseller.disable"
    repository.update_reseller(name, {"active": active}, action=action, origin=origin, updated_at=clock())
