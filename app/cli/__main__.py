"""`python -m app.cli`: the operators' commands."""
from app.cli import main

main(prog_name="provisioning")
