"""The ceiling within the stack for customer/create: the least a Flask view must do for it, served by the same
gunicorn configuration. It parses the same form body with werkzeug, validates it with a marshmallow schema of the same
fields, reads the reseller, proves its password from a verification cache (an HMAC of the stored hash and the
password; the cache is filled by the first request's argon2 check), inserts the customer with majority write concern
and answers JSON. No hooks, no request id, no access log, no metrics, no sessions, no audit of any kind: what the
service adds on top of this is what `make bench` holds against the worker CPU of this view."""
import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from bson import ObjectId
from flask import Flask, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate
from pymongo import MongoClient, WriteConcern

app = Flask(__name__)
client = MongoClient(os.environ["MONGODB_URI"], connect=False, maxPoolSize=3)
database = client.get_default_database()
customers = database.get_collection("minimal_customers", write_concern=WriteConcern("majority"))
CACHE_KEY = secrets.token_bytes(32)
verified = set()


class CustomerCreate(Schema):
    resellerName = fields.String(required=True, validate=validate.Length(1, 64))
    resellerPassword = fields.String(required=True, validate=validate.Length(1, 128))
    name = fields.String(required=True, validate=validate.Length(1, 64))
    integrationId = fields.String(load_default="", validate=validate.Length(0, 64))
    rotationAlgorithm = fields.String(load_default="MAX_ROTATION", validate=validate.OneOf(["CONVERSATION", "MAX_ROTATION"]))
    billingType = fields.String(load_default="POST_PAID", validate=validate.OneOf(["PRE_PAID", "POST_PAID"]))
    moCharge = fields.Integer(load_default=0, validate=validate.Range(0, 1_000_000))


SCHEMA = CustomerCreate()


@app.post("/services/rest/customer/create")
def customer_create():
    try:
        given = SCHEMA.load(request.form.to_dict())
    except ValidationError as error:
        return jsonify({"status": 1, "errors": error.messages}), 400
    reseller = database.resellers.find_one({"name": given["resellerName"]}, {"history": 0})
    if reseller is None:
        return jsonify({"status": 5}), 401
    proof = hmac.new(CACHE_KEY, reseller["passwordHash"].encode() + b"\0" + given["resellerPassword"].encode(),
                     hashlib.sha256).digest()
    if proof not in verified:
        try:
            PasswordHasher().verify(reseller["passwordHash"], given["resellerPassword"])
        except VerifyMismatchError:
            return jsonify({"status": 5}), 401
        verified.add(proof)
    customer_id = ObjectId()
    customers.insert_one({"_id": customer_id, "name": given["name"], "resellerId": reseller["_id"],
                          "integrationId": given["integrationId"], "rotationAlgorithm": given["rotationAlgorithm"],
                          "billingType": given["billingType"], "moCharge": given["moCharge"], "credits": 0,
                          "active": True, "createdAt": datetime.now(UTC)})
    return jsonify({"id": str(customer_id), "status": 0}), 201
